package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/obpm/obpm/internal/defaults"
	"github.com/obpm/obpm/internal/testenv"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The documentation is part of the interface: a renamed flag or command must
// fail here instead of misleading a reader. These tests read every fenced
// shell block of the READMEs and docs/*.md, find each obpm command line and
// check it against the real cobra tree (newRootCmd), without running it.

// docFiles are the documents whose shell blocks are checked, relative to the
// repository root.
func docFiles(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	files := []string{filepath.Join(root, "README.md"), filepath.Join(root, "README.ko.md")}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s: %v (the doc test expects it)", rel(root, f), err)
		}
	}
	return files
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from cmd/obpm: %v", err)
	}
	return root
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

func TestDocsCommandsExist(t *testing.T) {
	root := repoRoot(t)
	cmdRoot := newRootCmd(defaultFactory())
	checked := 0
	for _, file := range docFiles(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range docCommands(rel(root, file), src) {
			checked++
			if err := checkCommand(cmdRoot, c.args); err != nil {
				t.Errorf("%s:%d: `%s`: %v", c.file, c.line, c.text, err)
			}
		}
	}
	// Guard against a parser that silently finds nothing: the READMEs alone
	// hold dozens of obpm lines.
	t.Logf("checked %d obpm command lines", checked)
	if checked < 20 {
		t.Errorf("found only %d obpm command lines in the docs; the block parser is broken", checked)
	}
}

// TestReadmeSetupCommandsAgree checks that README.md and README.ko.md open
// with the same set-up commands (the first fenced block of each), comments
// aside: the Korean reader must not run something else.
func TestReadmeSetupCommandsAgree(t *testing.T) {
	root := repoRoot(t)
	read := func(name string) []string {
		src, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		blocks := fencedBlocks(src)
		if len(blocks) == 0 {
			t.Fatalf("%s has no fenced code block; the first one holds the set-up commands", name)
		}
		var cmds []string
		for _, l := range blocks[0].lines {
			if c := strings.TrimSpace(stripComment(l.text)); c != "" {
				cmds = append(cmds, strings.Join(strings.Fields(c), " "))
			}
		}
		if len(cmds) == 0 {
			t.Fatalf("%s:%d: the first fenced block has no command", name, blocks[0].start)
		}
		return cmds
	}
	en, ko := read("README.md"), read("README.ko.md")
	if !slices.Equal(en, ko) {
		t.Errorf("the set-up commands differ:\n  README.md:    %q\n  README.ko.md: %q\nmake the first code block of both READMEs run the same commands", en, ko)
	}
	for _, want := range []string{"go run ./cmd/obpm generate", "go test ./..."} {
		if !slices.Contains(en, want) {
			t.Errorf("README.md's first code block lacks %q (got %q)", want, en)
		}
	}
}

// TestDocsParser pins the parser on the shapes the docs use, and proves the
// checker fails on a wrong flag and an unknown subcommand.
func TestDocsParser(t *testing.T) {
	doc := "# x\n\n" +
		"```sh\n" + // line 3
		"obpm sandbox --addr 127.0.0.1:PORT   # comment --nope\n" + // 4
		"$ obpm login --profile sandbox \\\n" + // 5
		"    --no-browser\n" +
		"obpm exec --profile p -- sh -c 'newman run x.json \\\n" + // 7
		"   --env-var k=\"$OBPM_HELPER_KEY\" && obpm token --kind user'\n" +
		"X=1 obpm profile add NAME --provider sandbox|kftc-testbed [--base-url URL] --client-id ID\n" + // 9
		"obpm service install|start\n" + // 10
		"go run ./cmd/obpm generate --out DIR\n" + // 11
		"obpm generate --bogus-flag\n" + // 12
		"obpm frobnicate\n" + // 13
		"obpm profile list | remove NAME\n" + // 14
		"```\n" +
		"```console\n" +
		"$ obpm status\n" + // 17
		"obpm login --this-is-output\n" +
		"```\n" +
		"```json\n" +
		"{\"x\": \"obpm generate --json-is-not-checked\"}\n" +
		"```\n"
	got := docCommands("doc.md", []byte(doc))
	type want struct {
		line int
		args string
	}
	var gotW []want
	for _, c := range got {
		gotW = append(gotW, want{c.line, strings.Join(c.args, " ")})
	}
	wantW := []want{
		{4, "sandbox --addr 127.0.0.1:PORT"},
		{5, "login --profile sandbox --no-browser"},
		{7, "exec --profile p -- sh -c newman run x.json \\\n   --env-var k=\"$OBPM_HELPER_KEY\" && obpm token --kind user"},
		{7, "token --kind user"},
		{9, "profile add NAME --provider sandbox|kftc-testbed --base-url URL --client-id ID"},
		{10, "service install|start"},
		{11, "generate --out DIR"},
		{12, "generate --bogus-flag"},
		{13, "frobnicate"},
		{14, "profile list"},
		{17, "status"},
	}
	if !slices.Equal(gotW, wantW) {
		t.Fatalf("docCommands:\n got  %+v\n want %+v", gotW, wantW)
	}

	root := newRootCmd(defaultFactory())
	for _, tc := range []struct {
		args    string
		wantErr string // "" = accepted
	}{
		{"sandbox --addr 127.0.0.1:PORT", ""},
		{"login --profile=sandbox --no-browser", ""},
		{"profile add NAME --provider sandbox|kftc-testbed --base-url URL --client-id ID", ""},
		{"service install|start", ""},
		{"generate --help", ""},
		{"generate --bogus-flag", `unknown flag --bogus-flag for "obpm generate"`},
		{"frobnicate", `unknown command "frobnicate" for "obpm"`},
		{"service install|explode", `unknown argument "explode" for "obpm service"`},
		{"exec --profile p -- anything --goes", ""},
		{"login -Z", `unknown shorthand flag -Z for "obpm login"`},
	} {
		err := checkCommand(root, strings.Fields(tc.args))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("checkCommand(%q) = %v, want accepted", tc.args, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("checkCommand(%q) = %v, want an error containing %q", tc.args, err, tc.wantErr)
		}
	}
}

// ---- the checker ----

// checkCommand walks args (after "obpm") down the cobra tree: each positional
// argument of a command with subcommands must name one, and every flag must
// be accepted by the command reached so far. Values are not parsed, so
// placeholders such as PORT or FILE are fine. After "--" the rest belongs to
// another program (obpm exec).
func checkCommand(root *cobra.Command, args []string) error {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	cmd := root
	for i := 0; i < len(args); i++ {
		a := args[i]
		cmd.InitDefaultHelpFlag()
		cmd.InitDefaultVersionFlag()
		switch {
		case a == "--":
			return nil
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			fl := lookupFlag(cmd, name)
			if fl == nil {
				return fmt.Errorf("unknown flag --%s for %q%s", name, cmd.CommandPath(), flagHint(cmd))
			}
			if !hasValue && fl.NoOptDefVal == "" {
				i++ // the value, whatever it is
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				fl := lookupShorthand(cmd, a[j:j+1])
				if fl == nil {
					return fmt.Errorf("unknown shorthand flag -%s for %q%s", a[j:j+1], cmd.CommandPath(), flagHint(cmd))
				}
				if fl.NoOptDefVal == "" {
					if j == len(a)-1 {
						i++
					}
					break // the rest of the token is the value
				}
			}
		case cmd.HasSubCommands():
			// "install|start" in a synopsis: every alternative must exist.
			var next *cobra.Command
			for _, alt := range strings.Split(a, "|") {
				sub := findSub(cmd, alt)
				if sub == nil {
					return fmt.Errorf("unknown command %q for %q (it has: %s)", alt, cmd.CommandPath(), strings.Join(subNames(cmd), ", "))
				}
				if next == nil {
					next = sub
				}
			}
			cmd = next
		case len(cmd.ValidArgs) > 0:
			// obpm service install|start: a fixed set of words.
			for _, alt := range strings.Split(a, "|") {
				if !slices.Contains(cmd.ValidArgs, alt) {
					return fmt.Errorf("unknown argument %q for %q (it takes: %s)", alt, cmd.CommandPath(), strings.Join(cmd.ValidArgs, ", "))
				}
			}
		}
		// other positional arguments (NAME, FILE, CMD…) are placeholders
	}
	return nil
}

func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f
	}
	return cmd.InheritedFlags().Lookup(name)
}

func lookupShorthand(cmd *cobra.Command, s string) *pflag.Flag {
	if f := cmd.Flags().ShorthandLookup(s); f != nil {
		return f
	}
	return cmd.InheritedFlags().ShorthandLookup(s)
}

func findSub(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

func subNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		names = append(names, c.Name())
	}
	return names
}

func flagHint(cmd *cobra.Command) string {
	var names []string
	add := func(f *pflag.Flag) { names = append(names, "--"+f.Name) }
	cmd.Flags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return " (it takes no flags)"
	}
	return " (it takes: " + strings.Join(names, " ") + ")"
}

// ---- the Markdown side ----

type docLine struct {
	n    int // 1-based line number in the file
	text string
}

type fencedBlock struct {
	lang  string
	start int // line of the opening fence
	lines []docLine
}

// fencedBlocks returns the ``` (or ~~~) blocks of a Markdown document.
func fencedBlocks(src []byte) []fencedBlock {
	var blocks []fencedBlock
	var cur *fencedBlock
	var fence string
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur == nil {
			for _, f := range []string{"```", "~~~"} {
				if strings.HasPrefix(trimmed, f) {
					info := strings.Fields(strings.TrimLeft(trimmed, f[:1]))
					lang := ""
					if len(info) > 0 {
						lang = strings.ToLower(info[0])
					}
					cur, fence = &fencedBlock{lang: lang, start: n}, f
					break
				}
			}
			continue
		}
		if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		cur.lines = append(cur.lines, docLine{n, line})
	}
	return blocks
}

// shellLangs are the info strings of blocks a reader types into a shell.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true, "zsh": true, "shell-session": true}

type docCommand struct {
	file string
	line int
	text string   // the command as written (first line), for the message
	args []string // after "obpm"
}

// docCommands finds the obpm command lines in the shell blocks of a document.
func docCommands(file string, src []byte) []docCommand {
	var out []docCommand
	for _, b := range fencedBlocks(src) {
		if !shellLangs[b.lang] {
			continue
		}
		for _, st := range shellStatements(b) {
			for _, args := range obpmInvocations(st.words, 0) {
				out = append(out, docCommand{file: file, line: st.line, text: st.text, args: args})
			}
		}
	}
	return out
}

type statement struct {
	line  int
	text  string
	words []string
}

// shellStatements joins continued lines (a trailing backslash, or an open
// quote) and splits them into words. In a console block only lines after a
// "$ " prompt are commands; the rest is output.
func shellStatements(b fencedBlock) []statement {
	var out []statement
	console := b.lang == "console" || b.lang == "shell-session"
	for i := 0; i < len(b.lines); i++ {
		start := b.lines[i]
		text := start.text
		if console {
			t := strings.TrimSpace(text)
			if !strings.HasPrefix(t, "$ ") {
				continue
			}
			text = strings.TrimPrefix(t, "$ ")
		} else {
			text = strings.TrimPrefix(strings.TrimSpace(text), "$ ")
		}
		first := strings.TrimSpace(stripComment(text))
		var buf strings.Builder
		buf.WriteString(stripComment(text))
		for i+1 < len(b.lines) {
			cur := buf.String()
			if strings.HasSuffix(strings.TrimRight(cur, " \t"), "\\") && !quoteOpen(cur) {
				s := strings.TrimRight(cur, " \t")
				buf.Reset()
				buf.WriteString(s[:len(s)-1] + " ")
			} else if quoteOpen(cur) {
				buf.WriteString("\n")
			} else {
				break
			}
			i++
			buf.WriteString(stripComment(b.lines[i].text))
		}
		words := shellWords(buf.String())
		if len(words) > 0 {
			out = append(out, statement{line: start.n, text: strings.TrimSuffix(first, "\\"), words: words})
		}
	}
	return out
}

// stripComment removes a # comment that is outside quotes and starts a word.
func stripComment(s string) string {
	if end, _ := scanShell(s, true); end < len(s) {
		return strings.TrimRight(s[:end], " \t")
	}
	return s
}

// quoteOpen reports whether s ends inside a quoted string ('…' or "…").
func quoteOpen(s string) bool {
	_, open := scanShell(s, false)
	return open
}

// scanShell walks s tracking single and double quotes. With stopAtComment it
// stops at a # that is outside quotes and starts a word, and returns its
// index; otherwise it returns len(s). open says whether a quote is still open
// where it stopped.
func scanShell(s string, stopAtComment bool) (end int, open bool) {
	var q rune
	for i, r := range s {
		switch {
		case q != 0:
			if r == q {
				q = 0
			}
		case r == '\'' || r == '"':
			q = r
		case stopAtComment && r == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return i, false
		}
	}
	return len(s), q != 0
}

// shellWords splits a command line into words, honouring quotes, and turns
// the operators that end a command (| && || ; &) into their own words. A "|"
// glued to words (sandbox|kftc-testbed) is synopsis, not a pipe, and stays.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\'' || r == '"':
			inWord = true
			j := i + 1
			for j < len(rs) && rs[j] != r {
				w.WriteRune(rs[j])
				j++
			}
			i = j
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		case r == ';' || ((r == '|' || r == '&') && !inWord):
			flush()
			op := string(r)
			if i+1 < len(rs) && (rs[i+1] == '|' || rs[i+1] == '&') {
				op += string(rs[i+1])
				i++
			}
			words = append(words, op)
		case r == '[' && !inWord, r == ']' && (i+1 == len(rs) || rs[i+1] == ' '):
			// synopsis brackets: [--flag VALUE]
		default:
			inWord = true
			w.WriteRune(r)
		}
	}
	flush()
	return words
}

// obpmInvocations returns the arguments of every obpm command in words:
// "obpm …", "./obpm …", "go run ./cmd/obpm …", after VAR=value prefixes,
// and inside "sh -c SCRIPT" or any quoted word that holds a script (depth
// bounds the recursion).
func obpmInvocations(words []string, depth int) [][]string {
	if depth > 3 {
		return nil
	}
	var out [][]string
	for _, cmd := range splitOps(words) {
		for len(cmd) > 0 && (strings.Contains(cmd[0], "=") && !strings.HasPrefix(cmd[0], "-") || cmd[0] == "sudo" || cmd[0] == "env" || cmd[0] == "time") {
			cmd = cmd[1:]
		}
		var args []string
		switch {
		case len(cmd) > 0 && (cmd[0] == "obpm" || strings.HasSuffix(cmd[0], "/obpm")):
			args = append([]string{}, cmd[1:]...)
		case len(cmd) > 2 && cmd[0] == "go" && cmd[1] == "run" && strings.HasSuffix(cmd[2], "/cmd/obpm"):
			args = append([]string{}, cmd[3:]...)
		}
		if args != nil {
			out = append(out, args)
		}
		// Scripts inside words: sh -c '…', bash -c "…".
		for i, w := range cmd {
			if i > 0 && strings.Contains(w, "obpm") && strings.ContainsAny(w, " \n") {
				out = append(out, obpmInvocations(shellWords(w), depth+1)...)
			}
		}
	}
	return out
}

// splitOps splits words at | && || ; & into separate commands.
func splitOps(words []string) [][]string {
	var out [][]string
	var cur []string
	for _, w := range words {
		switch w {
		case "|", "||", "&&", ";", "&":
			out = append(out, cur)
			cur = nil
		default:
			cur = append(cur, w)
		}
	}
	return append(out, cur)
}

// TestTroubleshootingTablesAgree checks that the troubleshooting tables of
// README.md, README.ko.md and docs/testbed.md quote the same messages, row by
// row (the code spans of the first column): a message reworded in one guide
// must be reworded in all.
func TestTroubleshootingTablesAgree(t *testing.T) {
	root := repoRoot(t)
	type table struct {
		file string
		rows [][]string
	}
	var tables []table
	for _, name := range []string{"README.md", "README.ko.md", filepath.Join("docs", "testbed.md")} {
		src, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := troubleshootingRows(src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tables = append(tables, table{name, rows})
	}
	ref := tables[0]
	for _, tb := range tables[1:] {
		if len(tb.rows) != len(ref.rows) {
			t.Errorf("%s has %d troubleshooting rows, %s has %d", tb.file, len(tb.rows), ref.file, len(ref.rows))
			continue
		}
		for i := range ref.rows {
			if !slices.Equal(tb.rows[i], ref.rows[i]) {
				t.Errorf("troubleshooting row %d differs:\n  %s: %q\n  %s: %q", i+1, ref.file, ref.rows[i], tb.file, tb.rows[i])
			}
		}
	}
}

// troubleshootingRows returns, for each body row of the first table after a
// heading containing "Troubleshooting", the code spans of its first cell.
func troubleshootingRows(src []byte) ([][]string, error) {
	var rows [][]string
	inSection, header := false, true
	done := func() ([][]string, error) {
		if len(rows) < 10 {
			return nil, fmt.Errorf("the troubleshooting table has %d rows, want at least 10 (a heading with \"Troubleshooting\" followed by a table)", len(rows))
		}
		for i, r := range rows {
			if len(r) == 0 {
				return nil, fmt.Errorf("troubleshooting row %d quotes no message in `code`", i+1)
			}
		}
		return rows, nil
	}
	for line := range strings.SplitSeq(string(src), "\n") {
		switch {
		case inSection && strings.HasPrefix(line, "|"):
			cells := splitCells(line)
			switch {
			case header:
				header = false
			case strings.Trim(cells[0], " -:") == "":
				// the delimiter row
			default:
				rows = append(rows, codeSpans(cells[0]))
			}
		case inSection && len(rows) > 0:
			return done() // the table ended
		case strings.HasPrefix(line, "#"):
			inSection = strings.Contains(line, "Troubleshooting")
		}
	}
	return done()
}

// splitCells splits a table row at unescaped pipes.
func splitCells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' && i+1 < len(line) && line[i+1] == '|' {
			cur.WriteByte('|')
			i++
			continue
		}
		if line[i] == '|' {
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(line[i])
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// codeSpans returns the Markdown code spans of s (`x` or “x `y` “).
func codeSpans(s string) []string {
	var spans []string
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		fence := strings.Repeat("`", n)
		rest := s[i+n:]
		end := -1
		for j := 0; j+n <= len(rest); j++ {
			if strings.HasPrefix(rest[j:], fence) && (j+n == len(rest) || rest[j+n] != '`') && (j == 0 || rest[j-1] != '`') {
				end = j
				break
			}
		}
		if end < 0 {
			break
		}
		body := rest[:end]
		if len(body) > 1 && body[0] == ' ' && body[len(body)-1] == ' ' {
			body = body[1 : len(body)-1]
		}
		spans = append(spans, body)
		i += n + end + n
	}
	return spans
}

// TestTroubleshootingMessagesExist checks that every message quoted in the
// first column of README.md's troubleshooting table is still printed by the
// code: each literal piece of it (what is left between the example values:
// URLs, quoted names, numbers, "…") must occur in a Go source or template.
func TestTroubleshootingMessagesExist(t *testing.T) {
	root := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := troubleshootingRows(src)
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	corpus := sourceCorpus(t, root)
	checked := 0
	for i, spans := range rows {
		for _, span := range spans {
			for _, piece := range messagePieces(span) {
				checked++
				if !strings.Contains(corpus, piece) {
					t.Errorf("README.md troubleshooting row %d quotes %q, but no Go source or template contains %q: reword the docs (all three tables) to what the code prints", i+1, span, piece)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("checked only %d message pieces; the splitter is broken", checked)
	}
}

// examples are the parts of a quoted message that the code fills in.
// " (" and ": " are where the code appends a detail or wraps an error.
var examples = regexp.MustCompile(`…|"[^"]*"|https?://[^\s)]+|\b\d+s?\b|\b(ECONNREFUSED|sandbox|testbed|T990000001)\b|\b(user|institution) token for profile\b|^obpm: | \(|: `)

// messagePieces returns the literal pieces of a quoted message, trimmed of
// the punctuation that joins pieces in the code, at least 5 bytes long.
func messagePieces(msg string) []string {
	var out []string
	for _, p := range examples.Split(msg, -1) {
		p = strings.Trim(p, " ;:,.()[]")
		if len(p) >= 5 {
			out = append(out, p)
		}
	}
	return out
}

// sourceCorpus is the text of the non-test Go files, the templates and the
// embedded specs (the response codes).
func sourceCorpus(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		n := d.Name()
		if strings.HasSuffix(n, "_test.go") || !slices.Contains([]string{".go", ".tmpl", ".html", ".yaml"}, filepath.Ext(n)) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		b.Write(data)
		b.WriteByte(0)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDefaultsInDocs: the quick starts and the design page quote the default
// ports and the sandbox's test client; they must say what the code uses
// (internal/defaults), or the copy-pasted commands fail.
func TestDefaultsInDocs(t *testing.T) {
	root := testenv.RepoRoot(t)
	for _, doc := range []string{"README.md", "README.ko.md", filepath.Join("docs", "design.md")} {
		b, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{defaults.SandboxAddr, defaults.HelperURL, defaults.SandboxClientID} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s does not mention %s (internal/defaults): update the document or the default", doc, want)
			}
		}
	}
}
