package merge

import (
	"fmt"
	"strings"
)

// Kind is what happened to one part of the collection.
type Kind string

// The kinds of change a merge reports.
const (
	KeptEdit Kind = "kept"     // the user's edit stays
	Updated  Kind = "updated"  // the spec's change applied
	Conflict Kind = "conflict" // both changed
	Added    Kind = "added"    // new in the spec
	Removed  Kind = "removed"  // gone from the spec; moved to RemovedFolder
	Pruned   Kind = "pruned"   // gone from the spec; deleted (--prune)
)

// Change is one line of a merge report.
type Change struct {
	Kind   Kind
	File   string // the output file ("" until the caller sets it)
	Where  string // "Folder / Request", "collection", a variable
	Field  string // "body", "test script", "saved response \"200 OK\""
	Detail string
}

// Report lists what a merge did.
type Report struct {
	Changes []Change
	// NoBase: no previous generation was found, so no change could be told
	// apart from a user's edit; differences were decided as conflicts.
	NoBase bool
}

func (r *Report) add(k Kind, where, field, detail string) {
	r.Changes = append(r.Changes, Change{Kind: k, Where: where, Field: field, Detail: detail})
}

// Count returns how many changes are of kind k.
func (r *Report) Count(k Kind) int {
	n := 0
	for _, c := range r.Changes {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// Summary is the one line `obpm generate --merge` prints.
func (r *Report) Summary() string {
	s := fmt.Sprintf("merge: %d of your edits kept, %d spec updates, %d conflicts, %d added, %d moved to %q, %d pruned",
		r.Count(KeptEdit), r.Count(Updated), r.Count(Conflict), r.Count(Added), r.Count(Removed), RemovedFolder, r.Count(Pruned))
	if r.NoBase {
		s += " (no previous generation found: differences counted as conflicts)"
	}
	return s
}

// Markdown is the --merge-report file: a table per kind.
func (r *Report) Markdown() []byte {
	var b strings.Builder
	b.WriteString("# obpm generate --merge report\n\n")
	b.WriteString(r.Summary() + "\n")
	if r.NoBase {
		b.WriteString("\nNo previous generation was found beside the output, so obpm could not tell your edits from the spec's changes: where the two differed, it counted a conflict.\n")
	}
	sections := []struct {
		k     Kind
		title string
	}{
		{Conflict, "Conflicts (changed by you and by the spec)"},
		{KeptEdit, "Your edits kept"},
		{Updated, "Spec updates applied"},
		{Added, "Added from the spec"},
		{Removed, "Moved to \"" + RemovedFolder + "\""},
		{Pruned, "Deleted (--prune)"},
	}
	for _, s := range sections {
		if r.Count(s.k) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n| File | Where | What | Detail |\n|---|---|---|---|\n", s.title)
		for _, c := range r.Changes {
			if c.Kind == s.k {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(c.File), cell(c.Where), cell(c.Field), cell(c.Detail))
			}
		}
	}
	return []byte(b.String())
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
