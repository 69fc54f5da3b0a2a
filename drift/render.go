package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Markdown writes the report for people: a summary, then one section per
// operation that drifted, then the operations that matched.
func (r *Report) Markdown(source string) []byte {
	var b bytes.Buffer
	drifted := 0
	for _, o := range r.Operations {
		if len(o.Findings) > 0 {
			drifted++
		}
	}
	fmt.Fprintf(&b, "# Drift: %s\n\n", source)
	fmt.Fprintf(&b, "%d responses of %d operations compared with the description: %d operations differ.\n", r.Executions-len(r.Unmatched), len(r.Operations), drifted)
	for _, o := range r.Operations {
		if len(o.Findings) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s — `%s %s`\n\n", o.ID, o.Method, o.Path)
		fmt.Fprintf(&b, "%d responses (HTTP %s).\n\n| Kind | Field | Detail | Seen |\n|---|---|---|---|\n", o.Runs, statuses(o.Statuses))
		for _, f := range o.Findings {
			fmt.Fprintf(&b, "| %s | %s | %s | %d |\n", f.Kind, code(f.Field), cell(f.Detail), f.Count)
		}
	}
	var clean []string
	for _, o := range r.Operations {
		if len(o.Findings) == 0 {
			clean = append(clean, fmt.Sprintf("`%s` (%d)", o.ID, o.Runs))
		}
	}
	if len(clean) > 0 {
		fmt.Fprintf(&b, "\n## As described\n\n%s\n", strings.Join(clean, ", "))
	}
	var unread []string
	for _, o := range r.Operations {
		if o.Unread > 0 {
			unread = append(unread, fmt.Sprintf("`%s` (%d)", o.ID, o.Unread))
		}
	}
	if len(unread) > 0 {
		fmt.Fprintf(&b, "\n## Bodies the report did not keep (not compared)\n\n%s\n", strings.Join(unread, ", "))
	}
	if len(r.Unmatched) > 0 {
		b.WriteString("\n## Requests that match no operation of the description\n\n")
		for _, u := range r.Unmatched {
			fmt.Fprintf(&b, "- %s\n", cell(u))
		}
	}
	return b.Bytes()
}

// JSON writes the report for tools.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode drift report: %w", err)
	}
	return b.Bytes(), nil
}

func statuses(s []int) string {
	out := make([]string, len(s))
	for i, n := range s {
		out[i] = strconv.Itoa(n)
	}
	return strings.Join(out, ", ")
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
