// Package sandbox is a local, stateful simulator of the KFTC Open Banking
// testbed: OAuth (consent page, token, revoke) and every business operation of
// the embedded OpenAPI document, with seeded users, accounts and histories.
//
// New builds a Server; Handler returns its http.Handler. The package never
// listens: cmd/obpm does, and tests wrap the handler in httptest.NewServer.
package sandbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/mux"

	"github.com/obpm/obpm/specs"
	"github.com/obpm/obpm/templates"
)

// Server is one sandbox: configuration, routes and the state behind a mutex.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	clients map[string]Client // by client_id
	byCode  map[string]Client // by client_use_code
	order   []Client
	spec    *openapi3.T
	router  routers.Router
	// routes finds the spec's fixed paths without the router's regular
	// expressions (a sixth of an inquiry's time); templated paths and misses
	// go to router.
	routes      map[routeKey]*routers.Route
	queryChecks map[*routers.Route]*queryCheck
	bodyChecks  map[*routers.Route]*bodyCheck
	examples    examples
	consent     *template.Template
	ops         map[string]opHandler // "METHOD /path" of the spec
	// opsByOp is ops by operation, without forming "METHOD /path" per
	// request; an operation the spec shares between paths is not in it.
	opsByOp map[*openapi3.Operation]opHandler
	// direct holds the operations answered without the generic maps
	// (serveDirect); noDirect turns them off (tests compare the paths).
	direct   map[*openapi3.Operation]*directOp
	noDirect bool

	mu  sync.Mutex
	st  *state
	rng *rand.Rand
	// file persists st (--state); nil keeps it in memory only.
	file *stateFile
	// verified maps a token whose signature was checked to its claims.
	verified map[string]claims
	// goodDtime is the last tran_dtime checkTranDtime passed: a client's
	// requests of one second carry the same one.
	goodDtime string
	// answerKeys writes the API's answers without sorting their keys.
	answerKeys keyOrders
	// answerBufs holds *[]byte buffers for writeAnswer.
	answerBufs sync.Pool
	// inputs and bodies recycle the input maps and bodies of direct answers.
	inputs inputMaps
	bodies bodyBufs
	// lastSecond is kstForms' last answer.
	lastSecond atomic.Pointer[kstSecond]
	// security is each operation's security requirements, compiled.
	security map[*openapi3.Operation][]securityReq
}

// verifiedMax bounds Server.verified.
const verifiedMax = 1024

// New checks the configuration, loads the seed data or the state file, and
// prepares the routes. It does not listen.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, verified: map[string]claims{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.TokenTTL <= 0 {
		s.cfg.TokenTTL = DefaultTokenTTL
	}
	if s.cfg.RefreshTTL <= 0 {
		s.cfg.RefreshTTL = s.cfg.TokenTTL + refreshGrace
	}
	if s.cfg.CodeTTL <= 0 {
		s.cfg.CodeTTL = DefaultCodeTTL
	}
	if s.cfg.TokenTTL < time.Second {
		// expires_in is whole seconds: a shorter token would be announced
		// as expiring at once.
		return nil, fmt.Errorf("sandbox token TTL %s: want at least 1s (expires_in is whole seconds)", s.cfg.TokenTTL)
	}
	if s.cfg.FailRate < 0 || s.cfg.FailRate > 1 {
		return nil, fmt.Errorf("sandbox fail rate %v: want a number from 0 to 1", s.cfg.FailRate)
	}
	data := cfg.Data
	if data == nil {
		d, err := ParseData(seedYAML)
		if err != nil {
			return nil, fmt.Errorf("embedded sandbox seed data: %w", err)
		}
		data = d
	}
	clients := cfg.Clients
	if len(clients) == 0 {
		clients = data.Clients
	}
	if len(clients) == 0 {
		clients = []Client{DefaultClient()}
	}
	if err := s.register(clients); err != nil {
		return nil, err
	}

	s.spec = cfg.Spec
	if s.spec == nil {
		doc, err := specs.LoadOpenBanking(context.Background())
		if err != nil {
			return nil, fmt.Errorf("load embedded open banking spec: %w", err)
		}
		s.spec = doc
	}
	r, err := newSpecRouter(s.spec)
	if err != nil {
		return nil, err
	}
	s.router = r
	if s.routes, err = fixedRoutes(s.spec, r); err != nil {
		return nil, err
	}
	s.queryChecks = newQueryChecks(s.routes)
	s.bodyChecks = newBodyChecks(s.routes)
	s.examples = newExamples(s.spec)
	s.ops = s.operations()
	s.opsByOp = opsByOperation(s.spec, s.ops)
	s.direct = newDirectOps(s.spec, s.examples)
	s.security = compileSecurity(s.spec)

	tpl, err := template.ParseFS(templates.Sandbox, "sandbox/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse sandbox page templates: %w", err)
	}
	s.consent = tpl

	if err := s.initState(data); err != nil {
		return nil, err
	}
	s.rng = rand.New(rand.NewPCG(uint64(s.now().UnixNano()), 0x0b9a))
	return s, nil
}

// register checks the clients and indexes them by client_id and client_use_code.
func (s *Server) register(clients []Client) error {
	s.clients, s.byCode = map[string]Client{}, map[string]Client{}
	for i, c := range clients {
		if err := c.check(fmt.Sprintf("client %d (%s)", i, c.ID)); err != nil {
			return err
		}
		c = c.withDefaults()
		if _, dup := s.clients[c.ID]; dup {
			return fmt.Errorf("client %q registered twice: give each client its own client_id", c.ID)
		}
		s.clients[c.ID], s.byCode[c.ClientUseCode] = c, c
		s.order = append(s.order, c)
	}
	return nil
}

// initState loads the state file when there is one, else seeds the state
// from data, and writes the file back as a fresh snapshot (so a fresh
// --state file exists at once, and the journal starts empty).
func (s *Server) initState(data *Data) error {
	window := cmp.Or(s.cfg.DupWindow, DefaultDupWindow)
	if s.cfg.StateFile != "" {
		st, note, err := loadState(s.cfg.StateFile, window)
		if err != nil {
			return err
		}
		if note != "" {
			s.log.Warn(note)
		}
		s.st = st
	}
	if s.st == nil {
		st, err := newState(data, s.order)
		if err != nil {
			return err
		}
		s.st = st
	}
	s.st.ensureContracts(s.order)
	s.st.DupIDs.window = window
	s.st.adoptTranIDs(s.order)
	if s.cfg.StateFile != "" {
		s.file = newStateFile(s.cfg.StateFile)
		s.st.DupIDs.track = true
		if _, err := s.file.compact(s.st); err != nil {
			return err
		}
	}
	return nil
}

// newSpecRouter routes requests to the document's operations whatever host
// they come to: the servers list names the real testbed hosts, the sandbox
// answers on loopback, so the copy given to the router has no servers.
func newSpecRouter(doc *openapi3.T) (routers.Router, error) {
	cp := *doc
	cp.Servers = nil
	r, err := gorillamux.NewRouter(&cp)
	if err != nil {
		return nil, fmt.Errorf("route open banking spec: %w", err)
	}
	return r, nil
}

type routeKey struct{ method, path string }

// fixedRoutes asks the router once for each operation whose path has no
// parameters, so that findRoute hands out the very routes it would.
func fixedRoutes(doc *openapi3.T, r routers.Router) (map[routeKey]*routers.Route, error) {
	out := map[routeKey]*routers.Route{}
	for path, item := range doc.Paths.Map() {
		if strings.Contains(path, "{") {
			continue
		}
		for method := range item.Operations() {
			req, err := http.NewRequest(method, "http://sandbox"+path, nil)
			if err != nil {
				return nil, fmt.Errorf("route %s %s: %w", method, path, err)
			}
			route, _, err := r.FindRoute(req)
			if err != nil {
				continue // the router's answer stays the reference
			}
			out[routeKey{method, path}] = route
		}
	}
	return out, nil
}

// findRoute is router.FindRoute with the fixed paths looked up first.
func (s *Server) findRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	if route, ok := s.routes[routeKey{r.Method, r.URL.Path}]; ok {
		return route, nil, nil
	}
	return s.router.FindRoute(r)
}

// Clients lists the registered clients in configuration order.
func (s *Server) Clients() []Client { return append([]Client(nil), s.order...) }

// Handler serves the OAuth endpoints and the business API.
func (s *Server) Handler() http.Handler {
	r := mux.NewRouter()
	r.HandleFunc("/oauth/2.0/authorize", s.handleAuthorize).Methods(http.MethodGet)
	r.HandleFunc("/oauth/2.0/authorize_account", s.handleAuthorize).Methods(http.MethodGet)
	r.Handle(consentPath, limitForm(s.handleConsent)).Methods(http.MethodPost)
	r.Handle("/oauth/2.0/token", limitForm(s.handleToken))
	r.Handle("/oauth/2.0/revoke", limitForm(s.handleRevoke))
	r.PathPrefix("/v2.0/").HandlerFunc(s.handleAPI)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSONStatus(w, http.StatusNotFound, map[string]any{"rsp_code": "O0005", "rsp_message": "API 미존재 (no such sandbox path)"})
	})
	// Business calls skip the router's regular expressions when their path
	// is clean (the router would redirect an unclean one): the same handler
	// the /v2.0/ prefix route reaches.
	api := http.HandlerFunc(s.handleAPI)
	return s.logRequests(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if p := req.URL.Path; strings.HasPrefix(p, "/v2.0/") && path.Clean(p) == p {
			api.ServeHTTP(w, req)
			return
		}
		r.ServeHTTP(w, req)
	}))
}

// MaxFormBytes caps the form body of the token, revoke and consent routes:
// their forms are a few hundred bytes, and without a cap net/http reads up
// to 10 MB per request.
const MaxFormBytes = 16 << 10

// limitForm answers 413 to a form body over MaxFormBytes and never reads
// more than that of it.
func limitForm(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxFormBytes {
			writeJSONStatus(w, http.StatusRequestEntityTooLarge, map[string]any{"rsp_code": "O0001",
				"rsp_message": fmt.Sprintf("요청 본문이 너무 큽니다 (form body over %d bytes)", MaxFormBytes)})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
		if r.Method == http.MethodPost {
			var tooBig *http.MaxBytesError
			if err := r.ParseForm(); errors.As(err, &tooBig) {
				writeJSONStatus(w, http.StatusRequestEntityTooLarge, map[string]any{"rsp_code": "O0001",
					"rsp_message": fmt.Sprintf("요청 본문이 너무 큽니다 (form body over %d bytes)", MaxFormBytes)})
				return
			}
		}
		next(w, r)
	})
}

// persistLocked records a change in the state file and waits until it is
// on disk; the caller holds mu (the OAuth paths, which are rare). A failed
// write is logged, not answered: the in-memory state stays right, and the
// next change rewrites the whole file.
func (s *Server) persistLocked() {
	s.durable(s.recordLocked())
}

// recordLocked records a change in the state file and returns the record
// to wait for (with durable) once mu is released, so that concurrent
// changes share one fsync. The caller holds mu.
func (s *Server) recordLocked() uint64 {
	if s.file == nil {
		return 0
	}
	lsn, err := s.file.record(s.st)
	if err != nil {
		s.log.Error("sandbox state not saved", "file", s.cfg.StateFile, "err", err)
	}
	return lsn
}

// seenLocked is the record an answer reflects, for an answer that changes
// nothing: waiting for it keeps an inquiry from showing a transfer that a
// crash could still lose.
func (s *Server) seenLocked() uint64 {
	if s.file == nil {
		return 0
	}
	return s.file.appended.Load()
}

// durable waits until record lsn is on disk.
func (s *Server) durable(lsn uint64) {
	if s.file == nil || lsn == 0 {
		return
	}
	if err := s.file.wait(lsn); err != nil {
		s.log.Error("sandbox state not saved", "file", s.cfg.StateFile, "err", err)
	}
}

// Close writes what the state file still lacks (the last inquiries'
// bank_tran_ids) and closes it. The server must not serve afterwards.
func (s *Server) Close() error {
	if s.file == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file.close(s.st)
}

// logWriter remembers the status and the rsp_code written, for the log line.
type logWriter struct {
	http.ResponseWriter
	status int
	rsp    string
}

func (w *logWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// logRequests writes one line per request: method, path, rsp_code, latency.
func (s *Server) logRequests(next http.Handler) http.Handler {
	// The record goes to the handler directly, with the program counter of
	// this line taken once: Logger.LogAttrs would ask runtime.Callers for
	// it on every request, for a source (AddSource) that is always here.
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	h := s.log.Handler()
	// A NewLogHandler writes the line itself, in the same bytes.
	fast, _ := h.(*logHandler)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lw := &logWriter{ResponseWriter: w}
		next.ServeHTTP(lw, r)
		ctx := r.Context()
		if !h.Enabled(ctx, slog.LevelInfo) {
			return
		}
		end := time.Now()
		latency := end.Sub(start).Round(time.Microsecond)
		if fast != nil && fast.logRequest(&requestLine{time: end, method: r.Method, path: r.URL.Path,
			status: lw.status, rsp: lw.rsp, latency: latency}) {
			return
		}
		rec := slog.NewRecord(end, slog.LevelInfo, "request", pcs[0])
		rec.AddAttrs(slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", lw.status), slog.String("rsp_code", lw.rsp),
			slog.String("latency", latency.String()))
		_ = h.Handle(ctx, rec)
	})
}

// writeJSON answers HTTP 200 with a JSON body, as the real API does for
// errors too; the rsp_code goes to the log line.
func writeJSON(w http.ResponseWriter, body map[string]any) {
	writeJSONStatus(w, http.StatusOK, body)
}

func writeJSONStatus(w http.ResponseWriter, status int, body map[string]any) {
	b, err := appendJSON(make([]byte, 0, 1024), body)
	writeEncoded(w, status, body, b, err)
}

// writeAnswer is writeJSON for the API's answers: their key sets repeat,
// and s.answerKeys encodes them without sorting the keys each time.
func (s *Server) writeAnswer(w http.ResponseWriter, body map[string]any) {
	// The buffer is pooled: Write copies it into the connection's buffer.
	bp, _ := s.answerBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
		*bp = make([]byte, 0, 2048)
	}
	b, err := s.answerKeys.appendMap((*bp)[:0], body)
	b = writeEncoded(w, http.StatusOK, body, b, err)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		s.answerBufs.Put(bp)
	}
}

// jsonContentType is the Content-Type of every answer, as a header value
// list ready to put in a header map; nothing changes it.
var jsonContentType = []string{"application/json; charset=UTF-8"}

// writeEncoded writes b, body encoded (or the encoding error's answer),
// and returns the slice it wrote.
func writeEncoded(w http.ResponseWriter, status int, body map[string]any, b []byte, err error) []byte {
	if lw, ok := w.(*logWriter); ok {
		if c, ok := body["rsp_code"].(string); ok {
			lw.rsp = c
		} else if _, ok := body["access_token"]; ok {
			lw.rsp = "token"
		}
	}
	if err != nil {
		b, status = []byte(`{"rsp_code":"`+rspInternal+`","rsp_message":"answer not encodable"}`), http.StatusInternalServerError
	}
	return writeBytes(w, status, b)
}

// writeBytes writes b, an encoded answer, and a newline, and returns the
// slice it wrote.
func writeBytes(w http.ResponseWriter, status int, b []byte) []byte {
	// Set would allocate the same one-element list for every answer.
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	b = append(b, '\n')
	_, _ = w.Write(b)
	return b
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readBody reads at most 1 MiB of a request body.
func readBody(r *http.Request) ([]byte, error) { return readBodyInto(r, nil) }

// readBodyInto is readBody reading into *buf when the announced body fits
// in it (a recycled buffer: bodyBufs), and keeping in *buf a buffer it
// made instead.
func readBodyInto(r *http.Request, buf *[]byte) ([]byte, error) {
	// A GET's body is http.NoBody: io.ReadAll would still allocate 512
	// bytes (and the LimitReader) for it on every inquiry.
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var b []byte
	var err error
	if n := r.ContentLength; n > 0 && n <= 1<<20 {
		// One read into a buffer of the announced size (and a byte more,
		// to see the end), instead of io.ReadAll's doubling from 512.
		if buf != nil && cap(*buf) >= int(n+1) {
			b = (*buf)[:n+1]
		} else {
			b = make([]byte, n+1)
			if buf != nil {
				*buf = b
			}
		}
		var got int
		got, err = io.ReadFull(r.Body, b)
		switch {
		case err == io.ErrUnexpectedEOF || err == io.EOF:
			b, err = b[:got], nil
		case err == nil: // longer than announced: the rest as it comes
			var rest []byte
			rest, err = io.ReadAll(io.LimitReader(r.Body, 1<<20+1-int64(len(b))))
			b = append(b, rest...)
		}
	} else {
		b, err = io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	}
	if err != nil {
		return nil, err
	}
	if len(b) > 1<<20 {
		return nil, errors.New("request body over 1 MiB")
	}
	return b, nil
}

// Users lists the test users (consent page id, user_seq_no, name) by id.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []User
	for _, u := range s.sortedUsers() {
		out = append(out, User{ID: u.ID, UserSeqNo: u.UserSeqNo, Name: u.Name, Birth: u.Birth})
	}
	return out
}

// inputMaps recycles request input maps (a withdraw's held 16 members:
// making it was a twentieth of the handler's time). Only maps that nothing
// keeps after the answer come back: those of the direct answers.
type inputMaps struct{ pool sync.Pool }

// maxRecycledInput bounds the members of a map kept for reuse: clearing
// costs its capacity, and a huge body's map would stay huge.
const maxRecycledInput = 64

// get returns an empty map, or nil (the caller makes one).
func (p *inputMaps) get() map[string]any {
	m, _ := p.pool.Get().(map[string]any)
	return m
}

// put empties m and keeps it for a later get.
func (p *inputMaps) put(m map[string]any) {
	if m == nil || len(m) > maxRecycledInput {
		return
	}
	clear(m)
	p.pool.Put(m)
}

// bodyBufs recycles request body buffers (a withdraw's is 560 bytes).
type bodyBufs struct{ pool sync.Pool }

// maxRecycledBody bounds the buffers kept: a rare large body is not.
const maxRecycledBody = 16 << 10

func (p *bodyBufs) get() *[]byte {
	if bp, _ := p.pool.Get().(*[]byte); bp != nil {
		return bp
	}
	return new([]byte)
}

func (p *bodyBufs) put(bp *[]byte) {
	if cap(*bp) > 0 && cap(*bp) <= maxRecycledBody {
		p.pool.Put(bp)
	}
}
