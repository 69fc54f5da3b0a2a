package runfile

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/obpm/obpm/internal/testenv"
)

const (
	goodURL = "http://127.0.0.1:45678"
	evilURL = "http://127.0.0.1:45999"
)

// evilRecord writes, at path, a record that would pass every check of the
// record itself (this user's UID, a live PID) but that is not ours to trust.
func evilRecord(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	b, _ := json.Marshal(Record{URL: evilURL, Port: 45999, PID: os.Getpid(), UID: os.Getuid()})
	if err := os.WriteFile(path, b, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func TestWriteRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	if err := Write(dir, Daemon, Record{URL: goodURL, Port: 45678}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, Daemon))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("record: %v %v, want mode 0600", fi, err)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("folder: %v %v, want mode 0700", di, err)
	}
	r, err := Read(dir, Daemon)
	if err != nil || r.URL != goodURL || r.PID != os.Getpid() || r.UID != os.Getuid() {
		t.Fatalf("Read = %+v, %v", r, err)
	}
	if _, err := Read(dir, Sandbox); !errors.Is(err, ErrNone) {
		t.Fatalf("no record: %v, want ErrNone", err)
	}
	Remove(dir, Daemon, os.Getpid()+1) // another process's: kept
	if _, err := Read(dir, Daemon); err != nil {
		t.Fatalf("Remove of another pid removed the record: %v", err)
	}
	Remove(dir, Daemon, os.Getpid())
	if _, err := Read(dir, Daemon); !errors.Is(err, ErrNone) {
		t.Fatalf("after Remove: %v, want ErrNone", err)
	}
}

// Whatever sits at the path, only a regular file of this user that nobody
// else may write is read: not a symbolic link (even to a private record of
// ours), not a FIFO (the open must not block), not a folder, not a file
// others may write.
func TestReadRefusesWhatIsNotAPrivateFile(t *testing.T) {
	tests := []struct {
		name  string
		plant func(t *testing.T, path string)
	}{
		{"symlink to a private record", func(t *testing.T, path string) {
			target := filepath.Join(filepath.Dir(path), "elsewhere.json")
			evilRecord(t, target, 0o600)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"dangling symlink", func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Join(filepath.Dir(path), "none"), path); err != nil {
				t.Fatal(err)
			}
		}},
		{"fifo", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
		}},
		{"folder", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{"group-writable", func(t *testing.T, path string) { evilRecord(t, path, 0o620) }},
		{"world-writable", func(t *testing.T, path string) { evilRecord(t, path, 0o602) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.plant(t, filepath.Join(dir, Daemon))
			r, err := Read(dir, Daemon)
			if err == nil || errors.Is(err, ErrNone) || !strings.Contains(err.Error(), "not a private file of this user") {
				t.Fatalf("Read = %+v, %v; want it refused as not a private file", r, err)
			}
			// Nothing it cannot trust is removed, and a FIFO does not block
			// it (a bound, not a timing: the open blocked for ever before).
			done := make(chan struct{})
			go func() { Remove(dir, Daemon, os.Getpid()); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Remove blocked on what sits at the path")
			}
			if _, err := os.Lstat(filepath.Join(dir, Daemon)); err != nil {
				t.Fatalf("Remove removed what it does not trust: %v", err)
			}
		})
	}
}

// TestReadSwapRace: someone who can write the folder swaps the record for a
// symbolic link and back, as fast as they can, while we read. Checking the
// path (Lstat) and then opening it would read the link's target whenever
// the swap lands between the two; the record must only ever be ours.
func TestReadSwapRace(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, Daemon, Record{URL: goodURL, Port: 45678}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, Daemon)
	real, link, evil := filepath.Join(dir, "real.json"), filepath.Join(dir, "link.json"), filepath.Join(dir, "evil.json")
	if err := os.Rename(path, real); err != nil {
		t.Fatal(err)
	}
	evilRecord(t, evil, 0o644)

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 5_000_000 && !stop.Load(); i++ {
			// The real record (a hard link: the same file, ours, 0600), then
			// a symbolic link. (A rename onto a hard link of the same file
			// does nothing, hence the record moved to real.json first.)
			_ = os.Link(real, link)
			_ = os.Rename(link, path)
			_ = os.Symlink(evil, link)
			_ = os.Rename(link, path)
		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()

	var good, refused int
	for i := 0; i < 100_000; i++ {
		r, err := Read(dir, Daemon)
		switch {
		case err == nil && r.URL == evilURL:
			t.Fatalf("read %d: the record came from the symbolic link's target (%d good reads, %d refused before it)", i, good, refused)
		case err == nil:
			good++
		default:
			refused++
		}
	}
	if good == 0 || refused == 0 {
		t.Fatalf("%d reads of our record, %d refused: the swap did not happen under the reads", good, refused)
	}
	t.Logf("%d reads of our record, %d refused", good, refused)
}

// TestReadOtherUsersPlants: another local user who can write the folder
// (a config folder in a shared place) plants a record of their own that
// names our UID and a live process, or a symbolic link to a record of
// ours: neither is read.
func TestReadOtherUsersPlants(t *testing.T) {
	as := testenv.AsOtherUser(t)
	dir := testenv.SharedDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	ours := filepath.Join(t.TempDir(), "ours.json")
	evilRecord(t, ours, 0o600)
	b, _ := json.Marshal(Record{URL: evilURL, Port: 45999, PID: 1, UID: os.Getuid()})
	for name, script := range map[string]string{
		"their own file": `umask 022; printf '%s' "$1" > "$2"`,
		"a symlink":      `ln -s "$3" "$2"`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, Daemon)
			_ = os.Remove(path)
			args := append(as[1:], "sh", "-c", script, "sh", string(b), path, ours)
			if out, err := exec.Command(as[0], args...).CombinedOutput(); err != nil {
				t.Fatalf("as the other user: %v %s", err, out)
			}
			if r, err := Read(dir, Daemon); err == nil || errors.Is(err, ErrNone) || !strings.Contains(err.Error(), "not a private file of this user") {
				t.Fatalf("Read = %+v, %v; want the other user's plant refused", r, err)
			}
		})
	}
}

// TestWriteReplacesAPlantedLink: Write never writes through a link at the
// path: the link is replaced by our record and its target is left alone.
func TestWriteReplacesAPlantedLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.json")
	if err := os.WriteFile(target, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, Daemon)); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, Daemon, Record{URL: goodURL}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "theirs" {
		t.Fatalf("Write wrote through the link: target holds %q", b)
	}
	if r, err := Read(dir, Daemon); err != nil || r.URL != goodURL {
		t.Fatalf("Read after Write = %+v, %v", r, err)
	}
}

// TestRemoveKeepsANewerRecord: a daemon that stops removes its record
// while another process of the same user (a restarted daemon, one on
// another port) puts its own in place. Remove used to read the record, see
// its own pid, then remove the path: when the other record landed between
// the two, the newer daemon's record went and every command lost that
// daemon. Here, round after round, the older record lands and the newer
// one right after it (renames, as Write does, and as fast as they go) while
// the older daemon calls Remove: once both are done the newer record must
// be there.
func TestRemoveKeepsANewerRecord(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, Daemon)
	older, newer := os.Getpid(), os.Getppid()
	olderRec, newerRec := filepath.Join(dir, "older.json"), filepath.Join(dir, "newer.json")
	for p, pid := range map[string]int{olderRec: older, newerRec: newer} {
		b, _ := json.Marshal(Record{URL: goodURL, PID: pid, UID: os.Getuid()})
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// put renames a hard link of src onto the path: the atomic replace of
	// Write, without its fsync, so that the two records land microseconds
	// apart.
	put := func(src string) error {
		tmp := filepath.Join(dir, "put.tmp")
		if err := os.Link(src, tmp); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	}

	const rounds = 3000
	removedOlder := 0
	for i := 0; i < rounds; i++ {
		var done atomic.Bool
		errc := make(chan error, 1)
		go func() {
			defer done.Store(true)
			if err := put(olderRec); err != nil {
				errc <- err
				return
			}
			errc <- put(newerRec)
		}()
		sawGap := false
		for j := 0; j < 100_000 && !done.Load(); j++ {
			Remove(dir, Daemon, older)
			if _, err := os.Lstat(path); err != nil && !done.Load() {
				sawGap = true // Remove removed the older record, mid-round
			}
		}
		if sawGap {
			removedOlder++
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		r, err := readFile(path)
		if err != nil || r.PID != newer {
			t.Fatalf("round %d: after the newer record landed, the path holds %+v, %v: the older daemon's Remove removed the newer record", i, r, err)
		}
	}
	if removedOlder == 0 {
		t.Fatalf("Remove never removed the older record in %d rounds: the race was not exercised", rounds)
	}
	t.Logf("%d rounds; Remove removed the older record before the newer one landed in %d", rounds, removedOlder)
}

// TestReadIgnoresAReusedPID: the daemon was killed with -9, so its record
// stayed, and the kernel gave its PID to another process of the same user
// (here a sleep). The record names a live process of ours, but not the one
// that wrote it: it is stale, as if the PID were free, and every command
// must look elsewhere instead of at a port nobody serves (or someone else
// took). Where start times are known (Linux), they tell the two apart.
func TestReadIgnoresAReusedPID(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process start times are read from /proc")
	}
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleep.Process.Kill(); _ = sleep.Wait() })
	pid := sleep.Process.Pid
	dir := t.TempDir()

	// Written by hand as an obpm of this version writes it: the PID and
	// when the daemon holding it started, long before this sleep.
	b, _ := json.Marshal(map[string]any{"url": evilURL, "port": 45999, "pid": pid, "uid": os.Getuid(), "proc_start": 1})
	if err := os.WriteFile(filepath.Join(dir, Daemon), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := Read(dir, Daemon); !errors.Is(err, ErrNone) {
		t.Fatalf("Read = %+v, %v; want ErrNone: PID %d is a sleep started after the record's process", r, err, pid)
	}

	// The process that wrote it, alive: read.
	if err := Write(dir, Daemon, Record{URL: goodURL, Port: 45678, PID: pid}); err != nil {
		t.Fatal(err)
	}
	if r, err := Read(dir, Daemon); err != nil || r.URL != goodURL || r.ProcStart == 0 {
		t.Fatalf("Read = %+v, %v; want the live writer's record, with its start time", r, err)
	}
	// A record without a start time (an older obpm, or written where none
	// is known) is judged by its PID alone, as before.
	b, _ = json.Marshal(map[string]any{"url": goodURL, "port": 45678, "pid": pid, "uid": os.Getuid()})
	if err := os.WriteFile(filepath.Join(dir, Daemon), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := Read(dir, Daemon); err != nil || r.URL != goodURL {
		t.Fatalf("Read of a record without proc_start = %+v, %v", r, err)
	}
}
