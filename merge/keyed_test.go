package merge

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSavedResponsesWithOneName: two saved responses the user gave the same
// name both survive a merge (Postman allows it; a map by name kept one).
func TestSavedResponsesWithOneName(t *testing.T) {
	gen := `{"info":{"name":"c","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},"item":[
	  {"id":"r1","name":"get","request":{"method":"GET","url":"{{base_url}}/x"},"response":[{"name":"OK","body":"spec"}]}]}`
	theirs := `{"info":{"name":"c","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},"item":[
	  {"id":"r1","name":"get","request":{"method":"GET","url":"{{base_url}}/x"},"response":[
	    {"name":"OK","body":"spec"},{"name":"Mine","body":"first"},{"name":"Mine","body":"second"}]}]}`
	for _, base := range []string{gen, ""} {
		var b []byte
		if base != "" {
			b = []byte(base)
		}
		out, _, err := Collection(b, []byte(theirs), []byte(gen), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Item []struct {
				Response []struct{ Name, Body string }
			}
		}
		if err := json.Unmarshal(out, &c); err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, r := range c.Item[0].Response {
			bodies = append(bodies, r.Name+"="+r.Body)
		}
		if got := strings.Join(bodies, ","); got != "OK=spec,Mine=first,Mine=second" {
			t.Errorf("base %v: saved responses %s, want OK=spec,Mine=first,Mine=second", base != "", got)
		}
	}
}
