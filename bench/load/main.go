// Command load is obpm's loopback load generator and its helpers for
// bench/load.sh:
//
//	load run -url URL [-c 64] [-d 10s] [-n 2000000] [-rate RPS] [-pid PID] [-H 'K: V']... [-method POST -body JSON] [-expect TEXT]
//	load bare [-addr 127.0.0.1:0] [-body-file F -content-type CT -H 'K: V'...] # a bare net/http handler returning a constant
//	load approve AUTHORIZE_URL [USER] # press 동의 on the sandbox consent page, follow the redirect
//	load freeport                     # print a free loopback port
//	load sandbox-token -base URL [-client-secret S -redirect-uri URI] # a user token straight from the sandbox
//
// run sends requests from c connections until d has passed or n requests
// were sent, whichever comes first, and prints one line of figures:
// requests/s, p50, p99, max, errors. "{tran_id}" in the URL or body becomes
// a fresh bank_tran_id of the default sandbox client per request.
// Only loopback targets are accepted.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/obpm/obpm/sandbox"
	"github.com/obpm/obpm/sandbox/sandboxtest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: load run|bare|approve|freeport ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "bare":
		err = bare(os.Args[2:])
	case "approve":
		err = approve(os.Args[2:])
	case "freeport":
		err = freeport()
	case "sandbox-token":
		err = sandboxToken(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s: only loopback targets are load-tested", raw)
	}
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	target := fs.String("url", "", "target URL (loopback)")
	conns := fs.Int("c", 64, "connections")
	dur := fs.Duration("d", 10*time.Second, "run at most this long")
	maxN := fs.Int64("n", 2_000_000, "send at most this many requests")
	method := fs.String("method", http.MethodGet, "HTTP method")
	body := fs.String("body", "", "request body")
	expect := fs.String("expect", "", "text every answer must contain (else it counts as an error)")
	label := fs.String("label", "", "name printed with the figures")
	warm := fs.Duration("warmup", time.Second, "send for this long first, not counted")
	pid := fs.Int("pid", 0, "server process: report its CPU time per request (from /proc)")
	rate := fs.Int("rate", 0, "requests per second for all connections together (0: as fast as they go)")
	var hs headers
	fs.Var(&hs, "H", "header 'Name: value' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopback(*target); err != nil {
		return err
	}
	if *conns < 1 || *maxN < 1 || *dur <= 0 {
		return errors.New("-c, -n and -d must be positive")
	}
	hdr := http.Header{}
	for _, h := range hs {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("header %q: want 'Name: value'", h)
		}
		hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	tr := &http.Transport{MaxIdleConns: *conns, MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var seq atomic.Int64
	seq.Store(time.Now().UnixNano() % 1_000_000_000 * 1000) // fresh ids across runs of a day
	if strings.Contains(strings.SplitN(*target, "?", 2)[0], tranIDMark) {
		return fmt.Errorf("-url %s: %s may only be in the query", *target, tranIDMark)
	}
	// The URL is parsed once, with a sentinel that parsing leaves as is in
	// the mark's place.
	proto, err := http.NewRequestWithContext(ctx, *method, strings.ReplaceAll(*target, tranIDMark, tranIDSentinel), nil)
	if err != nil {
		return err
	}
	var urlTmpl, bodyTmpl tmpl
	if strings.Contains(*target, tranIDMark) {
		urlTmpl = strings.Split(proto.URL.RawQuery, tranIDSentinel)
	}
	if *body != "" {
		bodyTmpl = strings.Split(*body, tranIDMark)
	}
	pool := sync.Pool{New: func() any { return &conn{hdr: hdr.Clone()} }}
	one := func() (time.Duration, error) {
		c := pool.Get().(*conn)
		defer pool.Put(c)
		return c.do(hc, proto, urlTmpl, bodyTmpl, &seq, *expect)
	}

	// Warm up (connections, caches), then measure.
	if *warm > 0 {
		wctx, cancel := context.WithTimeout(ctx, *warm)
		var wg sync.WaitGroup
		for range *conns {
			wg.Go(func() {
				for wctx.Err() == nil {
					if _, err := one(); err != nil && wctx.Err() == nil {
						return
					}
				}
			})
		}
		wg.Wait()
		cancel()
	}
	var (
		sent     atomic.Int64
		errs     atomic.Int64
		firstErr atomic.Value
		mu       sync.Mutex
		lats     []time.Duration
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(*dur)
	// With -rate, a pacer hands out one ticket per request at a fixed
	// rate: latency at a given load rather than at saturation.
	var tickets chan struct{}
	if *rate > 0 {
		tickets = make(chan struct{}, *conns)
		pctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		go func() {
			defer close(tickets)
			every := time.Second / time.Duration(*rate)
			next := time.Now()
			for pctx.Err() == nil {
				next = next.Add(every)
				time.Sleep(time.Until(next))
				select {
				case tickets <- struct{}{}:
				case <-pctx.Done():
				}
			}
		}()
	}
	srvCPU0, _ := procCPU(*pid)
	selfCPU0, _ := procCPU(os.Getpid())
	start := time.Now()
	for range *conns {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil && time.Now().Before(deadline) && sent.Add(1) <= *maxN {
				if tickets != nil {
					if _, ok := <-tickets; !ok {
						break
					}
				}
				lat, err := one()
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				local = append(local, lat)
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	srvCPU1, srvErr := procCPU(*pid)
	selfCPU1, _ := procCPU(os.Getpid())
	slices.Sort(lats)
	pct := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(len(lats)-1, int(float64(len(lats))*p))]
	}
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }
	maxLat := time.Duration(0)
	if len(lats) > 0 {
		maxLat = lats[len(lats)-1]
	}
	perReq := func(d time.Duration) string {
		if len(lats) == 0 {
			return "0"
		}
		return strconv.FormatFloat(float64(d)/1e3/float64(len(lats)), 'f', 1, 64)
	}
	cpu := ""
	if *pid > 0 && srvErr == nil {
		cpu = " server_cpu_us=" + perReq(srvCPU1-srvCPU0)
	}
	cpu += " client_cpu_us=" + perReq(selfCPU1-selfCPU0)
	fmt.Printf("%s ok=%d errors=%d seconds=%.2f rps=%.0f p50_ms=%s p99_ms=%s max_ms=%s%s\n", *label, len(lats), errs.Load(),
		elapsed.Seconds(), float64(len(lats))/elapsed.Seconds(), ms(pct(0.50)), ms(pct(0.99)), ms(maxLat), cpu)
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "load: %s: first error: %s\n", *label, e)
	}
	return nil
}

// bare serves a constant JSON answer: the floor the others are compared with.
// With -body-file it serves that file's bytes instead, and -H adds response
// headers (bench/load.sh gives it one answer of the daemon and its headers,
// so that the floor writes the same bytes).
func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	bodyFile := fs.String("body-file", "", "serve this file's bytes (default: a 120-byte token-like JSON)")
	ctype := fs.String("content-type", "application/json", "Content-Type of the answer")
	var hs headers
	fs.Var(&hs, "H", "response header 'Name: value' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	extra := http.Header{}
	for _, h := range hs {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("header %q: want 'Name: value'", h)
		}
		extra.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	body := []byte(`{"access_token":"eyJhbGciOiJIUzI1NiJ9.constant.constant","token_type":"Bearer","expires_at":"2027-01-01T00:00:00Z"}` + "\n")
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return fmt.Errorf("bare: %w", err)
		}
		if len(b) == 0 {
			return fmt.Errorf("bare: %s is empty", *bodyFile)
		}
		body = b
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		return errors.New("bare listens on loopback only")
	}
	fmt.Printf("listening http://%s %d bytes\n", ln.Addr(), len(body))
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range extra {
			h[k] = v
		}
		h.Set("Content-Type", *ctype)
		_, _ = w.Write(body)
	})}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// approve plays the browser on the sandbox consent page and delivers the
// redirect (with the code) to the callback, as a browser would.
func approve(args []string) error {
	if len(args) < 1 {
		return errors.New("approve AUTHORIZE_URL [USER]")
	}
	user := "user1"
	if len(args) > 1 {
		user = args[1]
	}
	if err := loopback(args[0]); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loc, err := sandboxtest.Approve(ctx, nil, args[0], user)
	if err != nil {
		return err
	}
	if err := loopback(loc.String()); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("deliver the callback: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("callback answered HTTP %d", resp.StatusCode)
	}
	return nil
}

func freeport() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	return nil
}

// sandboxToken runs the 3-legged flow against the sandbox alone (consent
// page, code exchange) and prints the user token.
func sandboxToken(args []string) error {
	fs := flag.NewFlagSet("sandbox-token", flag.ContinueOnError)
	base := fs.String("base", "", "sandbox URL (loopback)")
	id := fs.String("client-id", sandbox.DefaultClientID, "client_id")
	secret := fs.String("client-secret", sandbox.DefaultClientSecret, "client_secret")
	redirect := fs.String("redirect-uri", sandbox.DefaultRedirectURI, "registered redirect URI")
	user := fs.String("user", "user1", "test user")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopback(*base); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := url.Values{"response_type": {"code"}, "client_id": {*id}, "redirect_uri": {*redirect},
		"scope": {"login inquiry transfer"}, "state": {strings.Repeat("b", 32)}, "auth_type": {"0"}}
	loc, err := sandboxtest.Approve(ctx, nil, *base+"/oauth/2.0/authorize?"+q.Encode(), *user)
	if err != nil {
		return err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"client_id": {*id}, "client_secret": {*secret}, "redirect_uri": {*redirect}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *base+"/oauth/2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return fmt.Errorf("token exchange failed (HTTP %d)", resp.StatusCode)
	}
	fmt.Println(tok.AccessToken)
	return nil
}

// procCPU is a process's user+system CPU time so far (Linux /proc; the
// clock tick is 100 Hz on every Linux this runs on).
func procCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// tranIDMark in -url's query or in -body becomes a fresh bank_tran_id.
const tranIDMark = "{tran_id}"

// tranIDSentinel stands for tranIDMark while the URL is parsed.
const tranIDSentinel = "obpmTRANID0mark"

// tmpl is a text cut at tranIDMark once, so that a request is built by
// appending, not by searching and replacing: the load generator's own CPU
// per request, which shares the machine with the server it measures, stays
// small and nearly the same for every target.
type tmpl []string

// appendTo appends t with id in each mark's place.
func (t tmpl) appendTo(dst, id []byte) []byte {
	for i, p := range t {
		if i > 0 {
			dst = append(dst, id...)
		}
		dst = append(dst, p...)
	}
	return dst
}

// conn is one worker's reusable buffers.
type conn struct {
	hdr      http.Header
	id, q, b []byte
	body     bytes.Reader
	out      bytes.Buffer
	url      url.URL
}

// appendTranID appends a bank_tran_id of the default sandbox client: its
// code, "U", and n in nine upper-case base-36 digits.
func appendTranID(dst []byte, n int64) []byte {
	dst = append(dst, sandbox.DefaultClientUseCode...)
	dst = append(dst, 'U')
	var d [9]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n%36]
		n /= 36
	}
	return append(dst, d[:]...)
}

func (c *conn) do(hc *http.Client, proto *http.Request, u, b tmpl, seq *atomic.Int64, expect string) (time.Duration, error) {
	req := *proto // shallow: its URL and body are set below
	req.Header = c.hdr
	if len(u) > 1 || len(b) > 1 {
		c.id = appendTranID(c.id[:0], seq.Add(1)%101_559_956_668_416)
	}
	if u != nil {
		c.url = *proto.URL
		c.q = u.appendTo(c.q[:0], c.id)
		c.url.RawQuery = string(c.q)
		req.URL = &c.url
	}
	if b != nil {
		c.b = b.appendTo(c.b[:0], c.id)
		c.body.Reset(c.b)
		req.Body, req.ContentLength = io.NopCloser(&c.body), int64(len(c.b))
	}
	start := time.Now()
	resp, err := hc.Do(&req)
	if err != nil {
		return 0, err
	}
	c.out.Reset()
	_, err = c.out.ReadFrom(resp.Body)
	resp.Body.Close()
	lat := time.Since(start)
	if err != nil {
		return 0, err
	}
	if out := c.out.Bytes(); resp.StatusCode != http.StatusOK || (expect != "" && !bytes.Contains(out, []byte(expect))) {
		return 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, out)
	}
	return lat, nil
}
