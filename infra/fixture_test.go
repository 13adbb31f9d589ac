package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	service "github.com/lambdakit/lambdakit/bootstrap/app"
)

// The tests synthesize each stage once (jsii and cdk-nag take seconds) and
// share the result; they only read it.
var (
	tempRoot string
	fixtures = map[string]*fixture{}
)

func TestMain(m *testing.M) {
	var err error
	tempRoot, err = os.MkdirTemp("", "lambdakit-infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	jsii.Close()
	if err := os.RemoveAll(tempRoot); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// fixture is one synthesized stack.
type fixture struct {
	stack    *ServiceStack
	template assertions.Template
	// json is the CloudFormation template, for checks that Match cannot
	// express (sets, cross-references).
	json   map[string]any
	outdir string
	// err is why synthesis failed, for the tests that come after.
	err error
}

// The fixtures' bootstrap placeholders of the API and the event function.
const (
	apiPlaceholder    = "api function placeholder"
	eventsPlaceholder = "event function placeholder"
)

// synth returns the stack of stage, synthesized with cdk.json's context (the
// feature flags cdk synth uses), the service's routes and cdk-nag, as main
// does. The prod fixture leaves every other prop empty to exercise the
// defaults.
func synth(t *testing.T, stage string) *fixture {
	t.Helper()
	return synthWith(t, stage, stage, nil)
}

// customAlarms is the fixture whose alarm props differ from every default
// (TestCustomAlarmFixtureDiffersFromDefaults), with a stage of its own and
// an alarm topic.
const (
	customAlarms      = "custom-alarms"
	customAlarmsStage = "qa"
	customAlarmsTopic = "arn:aws:sns:eu-west-1:123456789012:lambdakit-alerts"
)

// customAlarmsSettings are customAlarms' thresholds.
var customAlarmsSettings = AlarmSettings{
	API5XXErrors:       12,
	FunctionErrors:     3,
	FunctionThrottles:  2,
	APILatencyP99Ms:    750,
	RouteLatencyP99Ms:  400,
	EventIteratorAgeMs: 90000,
	DeadLetterMessages: 4,
	EventPutFailures:   25,
}

// synthCustomAlarms returns the customAlarms fixture.
func synthCustomAlarms(t *testing.T) *fixture {
	t.Helper()
	return synthWith(t, customAlarms, customAlarmsStage, func(p *ServiceStackProps) {
		p.Alarms = customAlarmsSettings
		p.AlarmTopicARN = customAlarmsTopic
	})
}

// synthWith is synth under the fixture name, with configure adjusting the
// props before the stack is built.
func synthWith(t *testing.T, name, stage string, configure func(*ServiceStackProps)) *fixture {
	t.Helper()
	if f, ok := fixtures[name]; ok {
		if f.err != nil {
			t.Fatal(f.err)
		}
		return f
	}
	dir := filepath.Join(tempRoot, name)
	asset := filepath.Join(dir, "asset")
	eventsAsset := filepath.Join(dir, "events-asset")
	outdir := filepath.Join(dir, "cdk.out")
	// Placeholders: the tests check the template, not the binaries. They
	// differ, so each function's code can be traced to its own directory
	// (TestFunctionAssets).
	for asset, content := range map[string]string{asset: apiPlaceholder, eventsAsset: eventsPlaceholder} {
		if err := os.MkdirAll(asset, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(asset, bootstrapFile), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx := cdkContext(t)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	cfg := &ServiceStackProps{AssetDir: asset, EventsAssetDir: eventsAsset, Stage: stage, Routes: serviceRoutes(t)}
	if stage == ProdStage {
		cfg.Stage = ""
	}
	if configure != nil {
		configure(cfg)
	}
	s, err := NewServiceStack(app, StackName(stage), cfg)
	if err != nil {
		t.Fatal(err)
	}
	AddComplianceChecks(app)
	tmpl, err := templateOf(s.Stack, outdir)
	if err != nil {
		fixtures[name] = &fixture{err: err} // fail the other tests fast
		t.Fatal(err)
	}
	f := &fixture{stack: s, template: tmpl, json: *tmpl.ToJSON(), outdir: outdir}
	fixtures[name] = f
	return f
}

// templateOf synthesizes stack. With cdk.json's flags, an error annotation
// (an unsuppressed cdk-nag error) fails synthesis as it fails cdk synth; the
// error then carries the validation report that says why.
func templateOf(stack awscdk.Stack, outdir string) (tmpl assertions.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			report, _ := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
			err = fmt.Errorf("synthesis failed: %v\n%s", r, report)
		}
	}()
	return assertions.Template_FromStack(stack, nil), nil
}

// cdkContext is cdk.json's context, so the tested template is the one
// cdk synth produces.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	if cfg.App != "go run ." {
		t.Fatalf("cdk.json app = %q, want %q", cfg.App, "go run .")
	}
	return cfg.Context
}

// serviceRoutes are the routes main deploys: the tests derive what they
// expect of the API from them, never from a list of their own, so a new
// entity needs no change here.
func serviceRoutes(t *testing.T) []string {
	t.Helper()
	routes, err := service.Routes()
	if err != nil {
		t.Fatalf("app.Routes: %v", err)
	}
	if len(routes) == 0 {
		t.Fatal("app.Routes returned no routes")
	}
	return routes
}

// check runs a jsii assertion, which panics on mismatch, as a test error.
func check(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assert()
}

// resources returns the template's resources of type typ by logical id.
func (f *fixture) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range f.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// only returns the single resource of type typ.
func (f *fixture) only(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := f.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	panic("unreachable")
}

// props is a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// CloudFormation intrinsics as they appear in the template's JSON.
func ref(id string) map[string]any   { return map[string]any{"Ref": id} }
func getAtt(id, attr string) []any   { return []any{id, attr} }
func arnOf(id string) map[string]any { return map[string]any{"Fn::GetAtt": getAtt(id, "Arn")} }

// asJSON and sameJSON compare template fragments regardless of Go types
// (512 and 512.0, []any and []string).
func asJSON(v any) string    { b, _ := json.Marshal(v); return string(b) }
func sameJSON(a, b any) bool { return asJSON(a) == asJSON(b) }

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// methodRoutes returns the template's methods by logical id, each as the
// "METHOD /path" route it serves.
func (f *fixture) methodRoutes(t *testing.T) map[string]string {
	t.Helper()
	path := f.pathOf(t)
	out := map[string]string{}
	for id, m := range f.resources("AWS::ApiGateway::Method") {
		out[id] = fmt.Sprintf("%s %s", props(m)["HttpMethod"], path(props(m)["ResourceId"]))
	}
	return out
}

// resourcePaths returns the path of each AWS::ApiGateway::Resource of the
// template, one entry per resource, so a path built twice shows twice.
func (f *fixture) resourcePaths(t *testing.T) []string {
	t.Helper()
	path := f.pathOf(t)
	var out []string
	for id := range f.resources("AWS::ApiGateway::Resource") {
		out = append(out, path(ref(id)))
	}
	return out
}

// pathOf returns a function that resolves a reference to the API's root or
// one of its resources to the resource's path, through the ParentId chain.
// A resource that hangs off anything else fails the test.
func (f *fixture) pathOf(t *testing.T) func(ref any) string {
	t.Helper()
	apiID, _ := f.only(t, "AWS::ApiGateway::RestApi")
	root := map[string]any{"Fn::GetAtt": getAtt(apiID, "RootResourceId")}
	resources := f.resources("AWS::ApiGateway::Resource")
	var parts func(ref any) string
	parts = func(ref any) string {
		if sameJSON(ref, root) {
			return ""
		}
		m, _ := ref.(map[string]any)
		id, _ := m["Ref"].(string)
		res, ok := resources[id]
		if !ok {
			t.Fatalf("%s is neither the API's root nor one of its resources", asJSON(ref))
		}
		return parts(props(res)["ParentId"]) + "/" + fmt.Sprint(props(res)["PathPart"])
	}
	return func(ref any) string {
		if p := parts(ref); p != "" {
			return p
		}
		return "/"
	}
}

// toStrings reads a string or a list of strings (IAM allows both).
func toStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// statement is one IAM policy statement of the template.
type statement struct {
	policy string
	// roles are the logical ids of the roles it is attached to.
	roles     []string
	actions   []string
	resources []any
}

// statements collects every statement of every policy the template grants:
// AWS::IAM::Policy, AWS::IAM::ManagedPolicy and roles' inline policies.
func (f *fixture) statements(t *testing.T) []statement {
	t.Helper()
	var out []statement
	add := func(policy string, roles []string, doc any) {
		d, _ := doc.(map[string]any)
		sts, _ := d["Statement"].([]any)
		for _, s := range sts {
			m := s.(map[string]any)
			if m["Effect"] != "Allow" {
				continue
			}
			// NotAction and NotResource grant by exclusion: never allowed.
			if hasKey(m, "NotAction") || hasKey(m, "NotResource") {
				t.Errorf("%s: statement %s grants by exclusion", policy, asJSON(m))
			}
			res := m["Resource"]
			list, ok := res.([]any)
			if !ok {
				list = []any{res}
			}
			out = append(out, statement{policy: policy, roles: roles, actions: toStrings(m["Action"]), resources: list})
		}
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for id, r := range f.resources(typ) {
			var roles []string
			refs, _ := props(r)["Roles"].([]any)
			for _, ref := range refs {
				m, _ := ref.(map[string]any)
				role, _ := m["Ref"].(string)
				roles = append(roles, role)
			}
			add(id, roles, props(r)["PolicyDocument"])
		}
	}
	for id, r := range f.resources("AWS::IAM::Role") {
		inline, _ := props(r)["Policies"].([]any)
		for _, p := range inline {
			add(id, []string{id}, p.(map[string]any)["PolicyDocument"])
		}
	}
	if len(out) == 0 {
		t.Fatal("no IAM statements in the template")
	}
	return out
}

// roleStatements are the statements granted to role (a logical id).
func (f *fixture) roleStatements(t *testing.T, role string) []statement {
	t.Helper()
	var out []statement
	for _, s := range f.statements(t) {
		if slices.Contains(s.roles, role) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no IAM statements for role %s", role)
	}
	return out
}

// grants flattens statements into "action on resource" lines, sorted, so
// a role's permissions compare exactly whatever way CDK grouped them into
// statements.
func grants(statements []statement) []string {
	var out []string
	for _, s := range statements {
		for _, a := range s.actions {
			for _, r := range s.resources {
				out = append(out, a+" on "+asJSON(r))
			}
		}
	}
	return sorted(out)
}

// logicalID is the logical id of c's CloudFormation resource.
func (f *fixture) logicalID(t *testing.T, c constructs.IConstruct) string {
	t.Helper()
	el, ok := c.Node().DefaultChild().(awscdk.CfnElement)
	if !ok {
		t.Fatalf("%s has no CloudFormation resource", *c.Node().Path())
	}
	id := *f.stack.GetLogicalId(el)
	if _, ok := f.json["Resources"].(map[string]any)[id]; !ok {
		t.Fatalf("%s: logical id %s is not in the template", *c.Node().Path(), id)
	}
	return id
}

// function returns the logical id and resource of fn, one of the stack's
// functions.
func (f *fixture) function(t *testing.T, fn awslambda.Function) (string, map[string]any) {
	t.Helper()
	id := f.logicalID(t, fn)
	r := f.resources("AWS::Lambda::Function")[id]
	if r == nil {
		t.Fatalf("%s is not a Lambda function", id)
	}
	return id, r
}

// roleOf is the logical id of the role fn runs as.
func roleOf(fn map[string]any) string {
	att, _ := props(fn)["Role"].(map[string]any)["Fn::GetAtt"].([]any)
	if len(att) != 2 {
		return ""
	}
	id, _ := att[0].(string)
	return id
}

// joined renders an Fn::Join of strings and intrinsics (a dashboard body)
// as one string, each intrinsic as ${...} holding its JSON, so the body can
// be parsed and its references compared.
func joined(t *testing.T, v any) string {
	t.Helper()
	join, _ := v.(map[string]any)["Fn::Join"].([]any)
	if len(join) != 2 {
		t.Fatalf("%s is not an Fn::Join", asJSON(v))
	}
	sep, _ := join[0].(string)
	parts, _ := join[1].([]any)
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if s, ok := p.(string); ok {
			out = append(out, s)
			continue
		}
		out = append(out, placeholder(p))
	}
	return strings.Join(out, sep)
}

// placeholder is how joined writes the intrinsic v: with single quotes, so
// it can stand inside a JSON string.
func placeholder(v any) string { return "${" + strings.ReplaceAll(asJSON(v), `"`, "'") + "}" }

// alarmsByMetric returns the template's alarms keyed by what they watch:
// namespace, metric name and dimensions, in alarmKey's form.
func (f *fixture) alarmsByMetric(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, a := range f.resources("AWS::CloudWatch::Alarm") {
		p := props(a)
		dims := map[string]any{}
		list, _ := p["Dimensions"].([]any)
		for _, d := range list {
			m, _ := d.(map[string]any)
			dims[fmt.Sprint(m["Name"])] = m["Value"]
		}
		key := alarmKey(fmt.Sprint(p["Namespace"]), fmt.Sprint(p["MetricName"]), dims)
		if _, dup := out[key]; dup {
			t.Errorf("two alarms watch %s (one is %s)", key, id)
		}
		out[key] = p
	}
	return out
}

// alarmKey identifies a metric: namespace, name and dimensions.
func alarmKey(namespace, metric string, dims map[string]any) string {
	return namespace + " " + metric + " " + asJSON(dims) // maps marshal sorted
}
