package generator

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

type paramRow struct {
	name, in, typ, desc string
	required            bool
}

// typeLabel is a short type for the parameter table: "string (date)",
// "array of string", "Pet".
func typeLabel(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	if ref.Ref != "" {
		if i := strings.LastIndex(ref.Ref, "/"); i >= 0 {
			return ref.Ref[i+1:]
		}
	}
	s := ref.Value
	t := effectiveType(s)
	switch {
	case t == "array":
		if it := typeLabel(s.Items); it != "" {
			return "array of " + it
		}
	case s.Format != "" && t != "":
		return t + " (" + s.Format + ")"
	case t == "" && len(s.OneOf) > 0:
		return "oneOf"
	case t == "" && len(s.AnyOf) > 0:
		return "anyOf"
	}
	return t
}

func cell(s string) string {
	if cellClean(s) {
		return s // what the rewrite below gives back, without its copies
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// describe writes the request's Markdown description: the operation's text,
// run notes and a table of its parameters and body fields.
func (b *builder) describe(o *operation, ex *namedExample, rows []paramRow) string {
	var sb strings.Builder
	text := strings.TrimSpace(o.op.Description)
	if text == "" {
		text = strings.TrimSpace(o.op.Summary)
	}
	size := len(text) + len(o.path) + len(o.op.OperationID) + 256
	for _, r := range rows {
		size += len(r.name) + len(r.in) + len(r.typ) + len(r.desc) + 24
	}
	sb.Grow(size)
	sb.WriteString(text)
	sb.WriteString("\n\n`" + strings.ToUpper(o.method) + " " + o.path + "`")
	if o.op.OperationID != "" {
		sb.WriteString(" · operationId `" + o.op.OperationID + "`")
	}
	sb.WriteString("\n")
	if ex != nil && strings.TrimSpace(ex.ex.Description) != "" {
		sb.WriteString("\n" + strings.TrimSpace(ex.ex.Description) + "\n")
	}
	if d := o.op.ExternalDocs; d != nil && d.URL != "" {
		label := strings.TrimSpace(d.Description)
		if label == "" {
			label = d.URL
		}
		sb.WriteString("\nSee also: [" + cell(label) + "](" + d.URL + ")\n")
	}
	if o.op.Deprecated {
		sb.WriteString("\n**Deprecated.**\n")
	}
	if b.isManual(o, ex) {
		sb.WriteString("\n> Manual: collection runs skip this request unless the variable `obpm_allow_manual` is `true`.\n")
	}
	if cbs := callbackLines(o.op); len(cbs) > 0 {
		sb.WriteString("\nCallbacks (the API calls these; they are not requests of this collection):\n\n")
		for _, c := range cbs {
			sb.WriteString("- `" + c + "`\n")
		}
	}
	if len(rows) > 0 {
		sb.WriteString("\n| Name | In | Required | Type | Description |\n|---|---|---|---|---|\n")
		for _, r := range rows {
			req := "no"
			if r.required {
				req = "yes"
			}
			for _, part := range [...]string{"| `", cell(r.name), "` | ", r.in, " | ", req, " | ", cell(r.typ), " | ", cell(r.desc), " |\n"} {
				sb.WriteString(part) // not concatenated first: one copy
			}
		}
	}
	return strings.TrimSpace(sb.String())
}

// isManual: x-obpm-run: manual on the operation or on the split example.
func (b *builder) isManual(o *operation, ex *namedExample) bool {
	if v, ok := o.op.Extensions["x-obpm-run"]; ok && v == "manual" {
		return true
	}
	if ex != nil {
		if v, ok := ex.ex.Extensions["x-obpm-run"]; ok && v == "manual" {
			return true
		}
	}
	return false
}

// cellClean reports whether cell(s) == s: no '|', no control bytes, no
// leading, trailing or doubled spaces, no other Unicode space (invalid UTF-8
// is kept by both).
func cellClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		case c < 0x20 || c == '|':
			return false
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				return false
			}
			i += size
			continue
		}
		i++
	}
	return true
}
