package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// This file turns the service's golden cases into requests for the tests
// that drive the whole service (the Lambda binaries, the local server, its
// wiring under faults): they learn what to send from the cases and the
// operations the modules registered, never from a list of routes, so a new
// entity needs nothing here.

// goldenCase is one golden case: its request, and what the service
// answers and raises when the golden harness serves it.
type goldenCase struct {
	name   string
	req    events.APIGatewayProxyRequest
	status int
	body   json.RawMessage
	raised []string // the names of the events it raised, in order
}

// goldenDir is one directory of golden cases: its seeds, in name order, and
// its cases.
type goldenDir struct {
	name  string
	seeds []events.APIGatewayProxyRequest
	cases []goldenCase
	// unique names the service's unique fields, whose values in the seeds
	// each replay makes its own.
	unique map[string]bool
}

// goldenDirs reads every directory under testdata/golden, in name order,
// and serves each case as the golden harness does, over the memory
// adapter: what a case answers and raises is the service's own, not its
// golden file's, so a directory whose golden files are not written yet
// (make update-golden runs every package at once) is read all the same.
func goldenDirs(tb testing.TB) []goldenDir {
	tb.Helper()
	root, err := dynamotest.ModuleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	root = filepath.Join(root, "testdata", "golden")
	entries, err := os.ReadDir(root)
	if err != nil {
		tb.Fatal(err)
	}
	var out []goldenDir
	unique := uniqueFields(tb)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		d := goldenDir{name: e.Name(), unique: unique}
		seeds, _ := filepath.Glob(filepath.Join(root, e.Name(), "seed", "*.http"))
		for _, s := range seeds {
			d.seeds = append(d.seeds, parseCase(tb, s))
		}
		cases, _ := filepath.Glob(filepath.Join(root, e.Name(), "*.http"))
		for _, c := range cases {
			d.cases = append(d.cases, d.serve(tb, c))
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		tb.Fatalf("no golden directories under %s", root)
	}
	return out
}

func parseCase(tb testing.TB, file string) events.APIGatewayProxyRequest {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := golden.ParseCase(b)
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return ev
}

// serve runs the case in file after d's seeds, as golden.Run does, on the
// whole service over the memory adapter.
func (d goldenDir) serve(tb testing.TB, file string) goldenCase {
	tb.Helper()
	c := goldenCase{name: strings.TrimSuffix(filepath.Base(file), ".http"), req: parseCase(tb, file)}
	svc := golden.Memory(tb, app.Register)
	for i, s := range d.seeds {
		if resp := svc.Invoke(tb, s); resp.StatusCode >= http.StatusMultipleChoices {
			tb.Fatalf("%s seed %d: %d %s", d.name, i+1, resp.StatusCode, resp.Body)
		}
	}
	svc.Events(tb)
	svc.Clock.Set(golden.CaseTime)
	resp := svc.Invoke(tb, c.req)
	c.status, c.body = resp.StatusCode, json.RawMessage(resp.Body)
	for _, ev := range svc.Events(tb) {
		c.raised = append(c.raised, ev.Metadata.Name)
	}
	return c
}

// sendFunc serves one API Gateway event: in process, through a Lambda
// binary or over HTTP.
type sendFunc func(tb testing.TB, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse

// goldenID is an id the golden harness hands out: the nth entity a
// directory's seeds create has the nth.
var goldenID = regexp.MustCompile(`00000000-0000-7000-8000-[0-9]{12}`)

// idMap maps the golden ids a directory's requests name to the ids the
// service under test gave the entities they stand for, and the values of
// unique fields and the Idempotency-Keys its seeds use to values of this
// replay's own: a directory replayed twice into one table would otherwise
// find its own seeds' values taken.
type idMap map[string]string

// translate returns ev with every golden id m knows replaced by the
// service's; ids it does not know (a case's missing entity) stay, and are
// missing from the service too.
func (m idMap) translate(ev events.APIGatewayProxyRequest) events.APIGatewayProxyRequest {
	tr := func(s string) string {
		s = goldenID.ReplaceAllStringFunc(s, func(g string) string {
			if id, ok := m[g]; ok {
				return id
			}
			return g
		})
		for from, to := range m {
			if !goldenID.MatchString(from) {
				s = strings.ReplaceAll(s, from, to)
			}
		}
		return s
	}
	trMap := func(in map[string]string) map[string]string {
		if in == nil {
			return nil
		}
		out := make(map[string]string, len(in))
		for k, v := range in {
			out[k] = tr(v)
		}
		return out
	}
	trMulti := func(in map[string][]string) map[string][]string {
		if in == nil {
			return nil
		}
		out := make(map[string][]string, len(in))
		for k, vs := range in {
			for _, v := range vs {
				out[k] = append(out[k], tr(v))
			}
		}
		return out
	}
	// A case without @resource has its path as its resource, which the
	// router matches.
	ev.Path, ev.RequestContext.Path = tr(ev.Path), tr(ev.RequestContext.Path)
	ev.Resource, ev.RequestContext.ResourcePath = tr(ev.Resource), tr(ev.RequestContext.ResourcePath)
	if !ev.IsBase64Encoded {
		ev.Body = tr(ev.Body)
	}
	ev.PathParameters = trMap(ev.PathParameters)
	ev.Headers, ev.MultiValueHeaders = trMap(ev.Headers), trMulti(ev.MultiValueHeaders)
	ev.QueryStringParameters = trMap(ev.QueryStringParameters)
	ev.MultiValueQueryStringParameters = trMulti(ev.MultiValueQueryStringParameters)
	return ev
}

// seed sends the directory's seeds through send, in order, and returns the
// ids the service gave what they created: the golden harness numbers
// entities in the order they are created, so the nth 201 is golden id n.
func (d goldenDir) seed(tb testing.TB, send sendFunc) idMap {
	tb.Helper()
	m := idMap{}
	created := 0
	replay := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i, s := range d.seeds {
		var body map[string]any
		if json.Unmarshal([]byte(s.Body), &body) == nil {
			for f, v := range body {
				if v, ok := v.(string); ok && d.unique[f] && v != "" {
					m[v] = v + "-" + replay
				}
			}
		}
		// Idempotency keys too: a key is the caller's for a day.
		for name, v := range s.Headers {
			if strings.EqualFold(name, "Idempotency-Key") && v != "" {
				m[v] = v + "-" + replay
			}
		}
		// A custom operation may answer 201 for what it made under an id
		// of its own (a vote's is derived from its review and caller):
		// without a Location, it took no golden id.
		resp := send(tb, m.translate(s))
		if resp.StatusCode >= http.StatusMultipleChoices {
			tb.Fatalf("%s seed %d (%s %s): %d %s", d.name, i+1, s.HTTPMethod, s.Path, resp.StatusCode, resp.Body)
		}
		if resp.StatusCode != http.StatusCreated || resp.Headers["Idempotent-Replayed"] != "" {
			continue
		}
		loc := resp.Headers["Location"]
		if loc == "" {
			continue
		}
		created++
		m[fmt.Sprintf("00000000-0000-7000-8000-%012d", created)] = path.Base(loc)
	}
	return m
}

// setsUnique reports whether a JSON body sets one of the unique fields.
func setsUnique(body string, unique map[string]bool) bool {
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) != nil {
		return false
	}
	for f, v := range m {
		if v, ok := v.(string); ok && unique[f] && v != "" {
			return true
		}
	}
	return false
}

// uniqueFields names every unique field (kit:"unique") of the entities the
// service serves.
func uniqueFields(tb testing.TB) map[string]bool {
	tb.Helper()
	out := map[string]bool{}
	for _, op := range operations(tb) {
		if op.Entity == nil {
			continue
		}
		e, ok := reflect.Zero(op.Entity).Interface().(kit.Entity)
		if !ok {
			continue
		}
		a, err := kit.AccessOf(e)
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range a.Unique {
			out[f] = true
		}
	}
	return out
}

// replay sends the directory's seeds, then c, as the golden harness runs
// it, and fails tb unless c is answered as the harness answered it.
func (d goldenDir) replay(tb testing.TB, c goldenCase, send sendFunc) events.APIGatewayProxyResponse {
	tb.Helper()
	resp := send(tb, d.seed(tb, send).translate(c.req))
	if resp.StatusCode != c.status {
		tb.Fatalf("%s/%s: %d %s, want %d as the golden harness", d.name, c.name, resp.StatusCode, resp.Body, c.status)
	}
	return resp
}

// eventCase is a golden case and its directory.
type eventCase struct {
	dir goldenDir
	c   goldenCase
}

// eventCases returns, for each event some golden case raises, the first
// case (by directory, then name) that raises it: replayed with their seeds,
// they raise every event the golden cases do, each entity's Created,
// Updated and Deleted among them.
func eventCases(tb testing.TB, dirs []goldenDir) (out []eventCase, names []string) {
	tb.Helper()
	seen := map[string]bool{}
	for _, d := range dirs {
		for _, c := range d.cases {
			picked := false
			for _, name := range c.raised {
				if !seen[name] {
					seen[name], picked = true, true
					names = append(names, name)
				}
			}
			if picked {
				out = append(out, eventCase{d, c})
			}
		}
	}
	if len(out) == 0 {
		tb.Fatal("no golden case raises an event")
	}
	return out, names
}

// operations returns every operation the service's modules register.
func operations(tb testing.TB) []resource.Operation {
	tb.Helper()
	return golden.Memory(tb, app.Register).Service.Operations()
}

// matches reports whether path is an instance of pattern, a route's path
// with {param} segments.
func matches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return false
			}
		} else if p != xs[i] {
			return false
		}
	}
	return true
}

// fill is pattern with every {param} segment replaced by id, and the
// parameters so filled.
func fill(pattern, id string) (string, map[string]string) {
	segs := strings.Split(pattern, "/")
	params := map[string]string{}
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			params[s[1:len(s)-1]] = id
			segs[i] = id
		}
	}
	return strings.Join(segs, "/"), params
}

// sample is one entity of the service, with what it takes to drive all
// five of its operations: a body its create accepts (from a golden seed)
// and one its update accepts (from a golden case answered 200).
type sample struct {
	create, get, update, remove, list resource.Operation
	createBody, updateBody            string
}

// sampleEntity picks the first entity the modules serve at the top level
// (no parent in its path) whose golden cases show a create and an update.
// It prefers an update case that leaves one of the create's fields alone,
// so that a test can check an update changes only what it sends.
func sampleEntity(tb testing.TB) sample {
	tb.Helper()
	ops := operations(tb)
	dirs := goldenDirs(tb)
	for _, c := range ops {
		if c.Kind != resource.OpCreate || c.ParentKind != "" {
			continue
		}
		s := sample{create: c}
		for _, op := range ops {
			if op.EntityKind != c.EntityKind {
				continue
			}
			switch op.Kind {
			case resource.OpGet:
				s.get = op
			case resource.OpUpdate:
				s.update = op
			case resource.OpDelete:
				s.remove = op
			case resource.OpList:
				s.list = op
			}
		}
		if s.get.Path == "" || s.update.Path == "" || s.remove.Path == "" || s.list.Path == "" {
			continue
		}
	seeds:
		for _, d := range dirs {
			for _, seed := range d.seeds {
				// The sample is created again and again, so it takes a
				// body that sets no unique field.
				if seed.HTTPMethod == http.MethodPost && seed.Path == c.Path && !seed.IsBase64Encoded && !setsUnique(seed.Body, d.unique) {
					s.createBody = seed.Body
					break seeds
				}
			}
		}
		s.updateBody = updateBody(dirs, s.update.Path, s.createBody)
		if s.createBody != "" && s.updateBody != "" {
			return s
		}
	}
	tb.Fatal("no entity served at the top level has a golden seed that creates it and a golden update case answered 200 " +
		"whose response shows what it sent: add them under testdata/golden/")
	return sample{}
}

// updateBody is the body of the first golden update of pattern's items
// that the golden harness shows applied, preferring one that leaves a field
// of create unsent.
func updateBody(dirs []goldenDir, pattern, create string) string {
	var fallback string
	for _, d := range dirs {
		for _, c := range d.cases {
			body, ok := appliedUpdate(c, pattern)
			switch {
			case !ok:
			case leavesAlone(create, body):
				return body
			case fallback == "":
				fallback = body
			}
		}
	}
	return fallback
}

// appliedUpdate returns the body of c if it is an update of the pattern's
// items that the golden harness shows applied: answered 200, with every field
// it sent in the response as sent.
func appliedUpdate(c goldenCase, pattern string) (string, bool) {
	if c.req.HTTPMethod != http.MethodPut || c.status != http.StatusOK || !matches(pattern, c.req.Path) || c.req.IsBase64Encoded {
		return "", false
	}
	var sent, got map[string]any
	if json.Unmarshal([]byte(c.req.Body), &sent) != nil || json.Unmarshal(c.body, &got) != nil || len(sent) == 0 {
		return "", false
	}
	for k, v := range sent {
		if g, ok := got[k]; !ok || !sameValue(g, v) {
			return "", false
		}
	}
	return c.req.Body, true
}

// leavesAlone reports whether update leaves a field of create unsent.
func leavesAlone(create, update string) bool {
	var c, u map[string]any
	if json.Unmarshal([]byte(create), &c) != nil || json.Unmarshal([]byte(update), &u) != nil {
		return false
	}
	for k := range c {
		if _, ok := u[k]; !ok {
			return true
		}
	}
	return false
}

func sameValue(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// stringValues lists the string values of a JSON object's fields, sorted.
func stringValues(body string) []string {
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	var out []string
	for _, v := range m {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// fields decodes a JSON object.
func fields(tb testing.TB, body string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		tb.Fatalf("not a JSON object (%v): %s", err, body)
	}
	return m
}
