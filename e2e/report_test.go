package e2e_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// report is the part of Newman's JSON reporter output the tests read.
type report struct {
	Run struct {
		Stats struct {
			Iterations, Requests, Assertions, TestScripts, PrerequestScripts counter
		} `json:"stats"`
		Executions []execution `json:"executions"`
		Failures   []struct {
			Error struct {
				Name    string `json:"name"`
				Message string `json:"message"`
				Test    string `json:"test"`
			} `json:"error"`
			Source struct {
				Name string `json:"name"`
			} `json:"source"`
		} `json:"failures"`
	} `json:"run"`
}

type counter struct {
	Total  int `json:"total"`
	Failed int `json:"failed"`
}

type execution struct {
	Item struct {
		Name string `json:"name"`
	} `json:"item"`
	Request struct {
		Body *struct {
			Raw string `json:"raw"`
		} `json:"body"`
		URL struct {
			Path  []string `json:"path"`
			Query []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"query"`
		} `json:"url"`
	} `json:"request"`
	Response *struct {
		Code   int `json:"code"`
		Stream struct {
			Raw []int `json:"data"`
		} `json:"stream"`
	} `json:"response"`
}

// assertClean fails the test on any failed request, script or assertion, naming each.
func (r *report) assertClean(t *testing.T) {
	t.Helper()
	s := r.Run.Stats
	if s.Requests.Failed+s.Assertions.Failed+s.TestScripts.Failed+s.PrerequestScripts.Failed+len(r.Run.Failures) == 0 {
		return
	}
	var b strings.Builder
	for _, f := range r.Run.Failures {
		b.WriteString("\n  " + f.Source.Name + ": " + f.Error.Name + ": " + f.Error.Test + " " + f.Error.Message)
	}
	t.Fatalf("newman: %d/%d requests, %d/%d assertions, %d test scripts, %d pre-request scripts failed:%s",
		s.Requests.Failed, s.Requests.Total, s.Assertions.Failed, s.Assertions.Total,
		s.TestScripts.Failed, s.PrerequestScripts.Failed, b.String())
}

// executions returns the sent requests whose URL path is path, in run order.
func (r *report) executions(path string) []execution {
	var out []execution
	for _, e := range r.Run.Executions {
		if e.Response != nil && e.path() == path {
			out = append(out, e)
		}
	}
	return out
}

// fields returns, per execution of path, the JSON text of one response field.
func (r *report) fields(path, field string) []string {
	var out []string
	for _, e := range r.executions(path) {
		var body map[string]json.RawMessage
		if json.Unmarshal(e.body(), &body) != nil {
			continue
		}
		v := string(body[field])
		if s := strings.Trim(v, `"`); len(v) > 1 && v[0] == '"' {
			v = s
		}
		out = append(out, v)
	}
	return out
}

// path is the request's URL path, e.g. /v2.0/user/me.
func (e execution) path() string { return "/" + strings.Join(e.Request.URL.Path, "/") }

// jsonBody decodes the sent JSON body (variables already resolved by Newman).
func (e execution) jsonBody() map[string]any {
	var m map[string]any
	if e.Request.Body != nil {
		_ = json.Unmarshal([]byte(e.Request.Body.Raw), &m)
	}
	return m
}

// ok reports whether the API answered rsp_code A0000.
func (e execution) ok() bool {
	var m struct {
		RspCode string `json:"rsp_code"`
	}
	return json.Unmarshal(e.body(), &m) == nil && m.RspCode == "A0000"
}

func (e execution) query(key string) string {
	for _, q := range e.Request.URL.Query {
		if q.Key == key {
			return q.Value
		}
	}
	return ""
}

// body decodes Newman's Buffer JSON ({"type":"Buffer","data":[…]}).
func (e execution) body() []byte {
	if e.Response == nil {
		return nil
	}
	b := make([]byte, len(e.Response.Stream.Raw))
	for i, v := range e.Response.Stream.Raw {
		b[i] = byte(v)
	}
	return b
}
