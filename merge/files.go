package merge

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/obpm/obpm/internal/atomicfile"
)

// SnapshotDir is the hidden folder, inside the output folder, that keeps what
// obpm generated last time: the base of the next merge.
const SnapshotDir = ".obpm-base"

// File is one output file (as generator.File).
type File struct {
	Name string
	Data []byte
}

// Plan is the outcome of merging a generation into an output folder.
type Plan struct {
	Files  []File // what to write into the output folder
	Report *Report
	dir    string
	snap   []File // relative to dir/SnapshotDir
}

// state records which export the last merge read and so which base it used:
// merging the same export again (--watch, a re-run) must use that base, not
// the generation the last merge wrote, or every spec change in between would
// look like the user's edit.
type state struct {
	ExportSHA256 string `json:"export_sha256"`
}

// Files merges the generated files into dir. exports are the user's files
// exported from Postman: one collection (v2.1) and any environments. An
// environment not exported is merged with its file in dir (users edit those
// in place too). The base is the snapshot of the last generation in
// dir/.obpm-base, else, before the first merge, the files obpm generate wrote
// in dir.
func Files(dir string, generated []File, exports []string, opts Options) (*Plan, error) {
	var theirsCol []byte
	theirsEnv := map[string][]byte{} // by environment name
	h := sha256.New()
	for _, p := range exports {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--merge: %w", err)
		}
		h.Write(data)
		var head struct {
			Info   json.RawMessage `json:"info"`
			Item   json.RawMessage `json:"item"`
			Name   string          `json:"name"`
			Values json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("--merge %s: not JSON (%v); export the collection from Postman as Collection v2.1", p, err)
		}
		switch {
		case head.Info != nil && head.Item != nil:
			if theirsCol != nil {
				return nil, fmt.Errorf("--merge %s: a second collection; give one collection export (and any environment exports)", p)
			}
			theirsCol = data
		case head.Values != nil:
			theirsEnv[head.Name] = data
		default:
			return nil, fmt.Errorf("--merge %s: neither a Postman collection (info, item) nor an environment (values); export it from Postman as Collection v2.1", p)
		}
	}
	if theirsCol == nil {
		return nil, errors.New("--merge: no collection among the files; export the collection from Postman (… → Export → Collection v2.1)")
	}
	sum := hex.EncodeToString(h.Sum(nil))
	snapRoot := filepath.Join(dir, SnapshotDir)
	var st state
	if data, err := os.ReadFile(filepath.Join(snapRoot, "state.json")); err == nil {
		_ = json.Unmarshal(data, &st) // a damaged record only costs the watch shortcut
	}
	sameExport := st.ExportSHA256 == sum
	baseOf := func(name string, exported bool) []byte {
		if sameExport && exported {
			if data, err := os.ReadFile(filepath.Join(snapRoot, "prev", name)); err == nil {
				return data
			}
		}
		if data, err := os.ReadFile(filepath.Join(snapRoot, name)); err == nil {
			return data
		}
		return nil
	}
	plan := &Plan{Report: &Report{}, dir: dir}
	for i, g := range generated {
		var (
			out, base []byte
			rep       *Report
			err       error
		)
		exported := true
		if i == 0 {
			if base = baseOf(g.Name, true); base == nil {
				// Before the first merge: what `obpm generate` wrote last.
				base, _ = os.ReadFile(filepath.Join(dir, g.Name))
			}
			out, rep, err = Collection(base, theirsCol, g.Data, opts)
		} else {
			theirs := theirsEnv[envName(g.Data)]
			if theirs == nil {
				// Not exported: the file in dir, which users edit in place.
				// It already holds the last merge, so its base is the last
				// generation, never an older one.
				exported = false
				theirs, _ = os.ReadFile(filepath.Join(dir, g.Name))
			}
			base = baseOf(g.Name, exported)
			if theirs == nil {
				out, rep = g.Data, &Report{}
			} else {
				out, rep, err = Environment(base, theirs, g.Data)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("merge %s: %w", g.Name, err)
		}
		if i == 0 && rep.NoBase {
			plan.Report.NoBase = true
		}
		for _, c := range rep.Changes {
			c.File = g.Name
			plan.Report.Changes = append(plan.Report.Changes, c)
		}
		plan.Files = append(plan.Files, File{Name: g.Name, Data: out})
		plan.snap = append(plan.snap, File{Name: g.Name, Data: g.Data})
		if exported && base != nil {
			plan.snap = append(plan.snap, File{Name: filepath.Join("prev", g.Name), Data: base})
		}
	}
	stData, _ := json.Marshal(state{ExportSHA256: sum})
	plan.snap = append(plan.snap, File{Name: "state.json", Data: append(stData, '\n')})
	return plan, nil
}

// envName reads an environment's name.
func envName(data []byte) string {
	var e struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(data, &e)
	return e.Name
}

// SaveSnapshot records this generation as the base of the next merge. Call
// it after the merged files are written.
func (p *Plan) SaveSnapshot() error {
	root := filepath.Join(p.dir, SnapshotDir)
	for _, f := range p.snap {
		path := filepath.Join(root, f.Name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("save merge base: %w", err)
		}
		if err := atomicfile.Write(path, f.Data, 0o644); err != nil {
			return fmt.Errorf("save merge base %s: %w", path, err)
		}
	}
	// prev/ files of a different export are stale once the new base is saved.
	keep := map[string]bool{}
	for _, f := range p.snap {
		keep[f.Name] = true
	}
	_ = filepath.WalkDir(filepath.Join(root, "prev"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if !keep[rel] && strings.HasPrefix(rel, "prev") {
			_ = os.Remove(path)
		}
		return nil
	})
	return nil
}
