package specs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// TestExampleRequestsPassFilter builds the HTTP request of every operation
// from its examples, as the generator does, and runs it through
// openapi3filter, the validator the sandbox puts in front of its handlers.
// It catches what checking values one by one cannot: query and header
// encoding, form-urlencoded bodies, required parameters, routing. The
// example responses go through the response validator too.
func TestExampleRequestsPassFilter(t *testing.T) {
	doc := loadDoc(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	n := 0
	for _, o := range operations(doc) {
		for name, req := range exampleRequests(t, doc.Servers[0].URL, o) {
			n++
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Errorf("%s %s: no route: %v", opName(o), name, err)
				continue
			}
			if route.Operation != o.Op {
				t.Errorf("%s %s: routed to %s %s", opName(o), name, route.Method, route.Path)
				continue
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				t.Errorf("%s %s: the example request is invalid: %v", opName(o), name, err)
			}
			for code, r := range o.Op.Responses.Map() {
				status := 0
				fmt.Sscan(code, &status)
				for ct, mt := range r.Value.Content {
					if !strings.Contains(ct, "json") {
						continue // openapi3filter decodes no HTML: authorize's page is checked by TestExamplesValidate
					}
					for exName, ex := range mediaExamples(mt) {
						body := exampleBody(t, ct, ex)
						rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status,
							Header: http.Header{"Content-Type": {ct}}, Options: opts}
						rin.SetBodyBytes(body)
						if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
							t.Errorf("%s response %s %s: %v", opName(o), code, exName, err)
						}
					}
				}
			}
		}
	}
	if n < 45 {
		t.Errorf("only %d example requests built", n)
	}
}

// exampleRequests makes one request per named request-body example (one if
// the body has a single example or none), with every parameter example set.
func exampleRequests(t *testing.T, server string, o docOp) map[string]*http.Request {
	t.Helper()
	q := url.Values{}
	header := http.Header{}
	for _, p := range o.Op.Parameters {
		pv := p.Value
		ex := pv.Example
		if ex == nil {
			ex, _ = schemaExample(pv.Schema.Value)
		}
		if ex == nil {
			continue
		}
		switch pv.In {
		case "query":
			q.Set(pv.Name, fmt.Sprint(ex))
		case "header":
			header.Set(pv.Name, fmt.Sprint(ex))
		}
	}
	target := server + o.Path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	bodies := map[string][]byte{"": nil}
	contentType := ""
	if rb := o.Op.RequestBody; rb != nil {
		for ct, mt := range rb.Value.Content {
			contentType = ct
			bodies = map[string][]byte{}
			for name, ex := range mediaExamples(mt) {
				bodies[name] = exampleBody(t, ct, ex)
			}
		}
	}
	out := map[string]*http.Request{}
	for name, body := range bodies {
		req, err := http.NewRequest(o.Method, target, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", opName(o), err)
		}
		req.Header = header.Clone()
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		out[name] = req
	}
	return out
}

// exampleBody encodes an example value for a content type.
func exampleBody(t *testing.T, contentType string, v any) []byte {
	t.Helper()
	switch {
	case strings.Contains(contentType, "json"):
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	case contentType == "application/x-www-form-urlencoded":
		form := url.Values{}
		m, _ := v.(map[string]any)
		for k, val := range m {
			form.Set(k, fmt.Sprint(val))
		}
		return []byte(form.Encode())
	default:
		return []byte(fmt.Sprint(v))
	}
}
