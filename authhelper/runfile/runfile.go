// Package runfile records where a long-running obpm process (the helper
// daemon, the sandbox) listens, so that every other command finds it on any
// port: `obpm serve --port N` writes daemon.json into the config folder,
// and exec, token, status, login, logout, doctor and generate --with-key
// read it. The file is owner-only (0600 in a 0700 folder) and a reader
// trusts it only when it belongs to the reading user and names a live
// process, so another local user cannot point our commands elsewhere.
package runfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/obpm/obpm/internal/atomicfile"
	"github.com/obpm/obpm/internal/filelock"
)

// Names of the records in the config folder.
const (
	Daemon  = "daemon.json"
	Sandbox = "sandbox.json"
)

// Record says where a process listens.
type Record struct {
	URL     string    `json:"url"`
	Port    int       `json:"port"`
	PID     int       `json:"pid"`
	UID     int       `json:"uid"`
	Started time.Time `json:"started"`
	// ProcStart is when the process started (Linux: clock ticks since
	// boot; 0 elsewhere): with PID it names one process, so a record whose
	// PID was reused by another process after a kill -9 is stale.
	ProcStart uint64 `json:"proc_start,omitempty"`
}

// maxSize bounds what Read accepts: a record is a hundred bytes.
const maxSize = 4096

// Write records r as dir/name (0600; dir is created 0700).
func Write(dir, name string, r Record) error {
	if r.PID == 0 {
		r.PID = os.Getpid()
	}
	r.UID = os.Getuid()
	r.ProcStart, _ = procStart(r.PID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("record %s: %w", filepath.Join(dir, name), err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, name), append(b, '\n'), 0o600)
}

// Remove deletes dir/name when it still names pid: a newer process (a
// restarted daemon, one on another port) may have replaced it, and its
// record must stay.
//
// Reading the record and then removing the path would remove whatever
// landed in between, so the record is first moved aside with one rename,
// which takes exactly one file, and it is that file which is checked: ours
// is deleted; another's is put back with a hard link, which fails if a
// still newer record took the path meanwhile (that one then stays, and the
// one we moved, older than it, goes). Readers see no record only while the
// one moved aside is checked, and only when a newer record was being
// written at that instant.
func Remove(dir, name string, pid int) {
	p := filepath.Join(dir, name)
	if r, err := readFile(p); err != nil || r.PID != pid {
		return // not ours, or nothing we trust (left for its owner)
	}
	aside, err := os.CreateTemp(dir, "."+name+".*.removing")
	if err != nil {
		return
	}
	tmp := aside.Name()
	aside.Close()
	if err := os.Rename(p, tmp); err != nil {
		_ = os.Remove(tmp)
		return // gone already
	}
	if r, err := readFile(tmp); err == nil && r.PID == pid {
		_ = os.Remove(tmp)
		return
	}
	if err := os.Link(tmp, p); err != nil && !errors.Is(err, fs.ErrExist) {
		// No hard links here (or a folder): put it back by rename, which
		// could only replace a record written in these microseconds.
		if os.Rename(tmp, p) == nil {
			return
		}
	}
	_ = os.Remove(tmp)
}

// ErrNone means there is no usable record: none was written, its process
// has ended, or the file is not trustworthy (see Read).
var ErrNone = errors.New("no record")

// Read returns the record dir/name when the file belongs to this user, is
// writable by nobody else, and names a process that still runs. A stale
// record (its process ended, e.g. after kill -9, or, where start times are
// known, its PID now belongs to another process) is ErrNone.
func Read(dir, name string) (Record, error) {
	r, err := readFile(filepath.Join(dir, name))
	if err != nil {
		return Record{}, err
	}
	if r.UID != os.Getuid() || !alive(r.PID) || !sameProcess(r) {
		return Record{}, ErrNone
	}
	return r, nil
}

// sameProcess reports whether r.PID is still the process that wrote r:
// false only when both start times are known and differ.
func sameProcess(r Record) bool {
	if r.ProcStart == 0 {
		return true // written where start times are unknown (or by an older obpm)
	}
	now, ok := procStart(r.PID)
	return !ok || now == r.ProcStart
}

// readFile opens p without following a symbolic link (and without
// blocking on a FIFO), then checks what it opened: the checks and the read
// are about the same file, so swapping the path for a link or another file
// between a check and the open (a local user with write access to the
// folder) cannot make us read something else.
func readFile(p string) (Record, error) {
	f, err := openNoFollow(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, ErrNone
	}
	if isLink(err) {
		return Record{}, untrusted(p)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Record{}, fmt.Errorf("read %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 || !ownedByMe(fi) {
		return Record{}, untrusted(p)
	}
	var r Record
	if err := json.NewDecoder(&limited{f, maxSize}).Decode(&r); err != nil {
		return Record{}, fmt.Errorf("read %s: %w (remove the file; obpm writes it again)", p, err)
	}
	return r, nil
}

func untrusted(p string) error {
	return fmt.Errorf("%s is not a private file of this user, so it is ignored (remove it; `obpm serve` writes it again)", p)
}

type limited struct {
	f *os.File
	n int
}

func (l *limited) Read(b []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("record too large")
	}
	if len(b) > l.n {
		b = b[:l.n]
	}
	n, err := l.f.Read(b)
	l.n -= n
	return n, err
}

// Lock takes the lock that orders the writers of dir/name (a file lock in
// dir/locks, dropped by the kernel however its holder ends). A process
// that checks no live one is recorded and then writes its own record does
// both under it, so two starting at once cannot both find the place free.
func Lock(ctx context.Context, dir, name string) (unlock func(), err error) {
	return filelock.Lock(ctx, filepath.Join(dir, "locks", name+".lock"))
}
