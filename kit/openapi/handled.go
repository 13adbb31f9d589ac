package openapi

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/problem"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// custom reports whether a service serves op itself, rather than the
// generic resource.
func custom(op resource.Operation) bool {
	return op.Kind == resource.OpCustom || op.Kind == resource.OpHandle
}

// handled describes an operation registered with resource.Handle or
// HandleNoContent, from what the kit knows of it: the parameters and body
// its input binds, the entity it answers with, the problems it declared,
// and what the router and the kit answer around it (Idempotency-Key on a
// POST, If-Match, malformed ids, bodies).
func (g *generator) handled(o *operation, op resource.Operation) {
	o.Summary, o.Description = op.Summary, op.Description
	post := op.Method == http.MethodPost
	var bad []string               // what a 400 can be for
	problems := map[int][]string{} // each error status's answers
	var ids []string               // the path ids
	o.Parameters = handledParams(op, &bad, &ids)
	if post {
		o.Parameters = append(o.Parameters, paramRef(paramIdempotencyKey))
		bad = append(bad, apigw.HeaderIdempotencyKey+" is not 1 to 255 visible ASCII characters")
	}
	switch {
	case op.Body != nil:
		o.RequestBody = &requestBody{Required: !op.BodyOptional, Content: jsonContent(ref(g.input(op.Body, op)))}
		if op.BodyOptional {
			o.RequestBody.Description = "May be left out: its fields then take their zero values."
		}
		bad = append(bad, "the body is not one the operation accepts: "+bodyErrors)
	default:
		bad = append(bad, "the request has a body: the operation takes none")
	}

	success := op.Statuses[0]
	ok := &response{Description: upperFirst(http.StatusText(success)) + "."}
	if op.Entity != nil {
		n := namesOf(op)
		ok.Description = upperFirst(http.StatusText(success)) + ": the " + n.one + ", as the API shows it, and its version (ETag)."
		ok.Headers = map[string]*header{"ETag": headerRef(headerETag)}
		ok.Content = jsonContent(ref(g.view(op.Entity)))
	}
	if post {
		if ok.Headers == nil {
			ok.Headers = map[string]*header{}
		}
		ok.Headers[apigw.HeaderReplayed] = headerRef(headerReplayed)
		o.Description = strings.TrimSpace(o.Description + " With " + apigw.HeaderIdempotencyKey + ", it happens at most once for the caller, route and key " +
			"for 24 hours: a retry with the same request gets the first response again, with " + apigw.HeaderReplayed + ": true.")
	}
	o.Responses[strconv.Itoa(success)] = ok

	o.Responses["400"] = problemResponse(upperFirst(strings.Join(bad, "; or ")) + ".")
	if len(ids) > 0 {
		problems[http.StatusNotFound] = append(problems[http.StatusNotFound],
			fmt.Sprintf("Nothing exists at the path's %s. %s", strings.Join(ids, " and "), uuidNote))
	}
	for _, err := range op.Problems {
		p := problem.FromError(err)
		if p.Status == http.StatusNotFound && len(ids) > 0 {
			continue // a 404's detail is always the kit's own, said above
		}
		problems[p.Status] = append(problems[p.Status], fmt.Sprintf("%q", p.Detail))
	}
	// The answers the router and the kit give besides the handler's own.
	kitAnswers := []int{http.StatusServiceUnavailable}
	if post {
		kitAnswers = append(kitAnswers, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge)
	} else if op.Body != nil {
		kitAnswers = append(kitAnswers, http.StatusRequestEntityTooLarge)
	}
	if slices.ContainsFunc(op.Params, func(p resource.Param) bool { return p.In == "header" && strings.EqualFold(p.Name, "If-Match") }) {
		kitAnswers = append(kitAnswers, http.StatusPreconditionFailed)
	}
	for _, status := range kitAnswers {
		if own := problems[status]; len(own) > 0 {
			// The shared answer's text joins the operation's own.
			problems[status] = append(own, sharedResponse(status).Description)
			continue
		}
		o.Responses[strconv.Itoa(status)] = shared(status)
	}
	for status, texts := range problems {
		text := texts[0]
		if len(texts) > 1 {
			text = "One of: " + strings.Join(texts, " Or: ")
		}
		o.Responses[strconv.Itoa(status)] = problemResponse(text)
	}
}

// handledParams declares an OpHandle operation's parameters: its path's,
// in the path's order, then its query and header parameters as its input
// lists them. It adds what each can be refused for to bad, and the path's
// ids to ids.
func handledParams(op resource.Operation, bad, ids *[]string) []*parameter {
	var out []*parameter
	for _, seg := range strings.Split(op.Path, "/") {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		p := &parameter{Name: name, In: "path", Required: true, Schema: &schema{Type: "string"}}
		for _, bound := range op.Params {
			if bound.In == "path" && bound.Name == name && bound.ID {
				p.Schema.Format, p.Description = "uuid", "An id."
				*ids = append(*ids, name)
			}
		}
		out = append(out, p)
	}
	for _, bound := range op.Params {
		switch {
		case bound.In == "path":
		case bound.In == "header" && strings.EqualFold(bound.Name, "If-Match"):
			out = append(out, paramRef(paramIfMatch))
			*bad = append(*bad, "If-Match is not one entity tag or *")
		default:
			s := typeSchema(bound.Type, reading, nil)
			required := constrain(s, deref(bound.Type), false, parseRules(bound.Tag.Get("validate")))
			if d, ok := bound.Tag.Lookup("default"); ok {
				s.Default, _ = parseDefault(bound.Type, d)
			}
			out = append(out, &parameter{Name: bound.Name, In: bound.In, Required: required, Schema: s})
			what := "query parameter " + bound.Name + " is repeated or fails its rules"
			if bound.In == "header" {
				what = "header " + bound.Name + " fails its rules"
			}
			*bad = append(*bad, what)
		}
	}
	return out
}
