package keyring

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultChunkSize keeps every item under the platforms' limits (Windows
// Credential Manager 2,560 bytes, macOS about 3,000) with room for overhead.
const DefaultChunkSize = 2000

// chunkMarker starts a head item that points at chunk items. A NUL byte cannot
// start a token, and a value that does start with it is chunked anyway, so the
// marker is never ambiguous.
const chunkMarker = "\x00obpm-chunks:v1:"

// Get returns the value stored under key, reassembling chunks and checking
// their digest, so a half-written value is reported, never returned.
func (k *Keyring) Get(ctx context.Context, key string) (string, error) {
	head, err := k.rawGet(ctx, key)
	if err != nil {
		return "", err
	}
	h, ok, err := parseHead(head)
	if err != nil {
		return "", fmt.Errorf("keyring read %q: %w", key, err)
	}
	if !ok {
		return head, nil
	}
	var b strings.Builder
	for i := range h.n {
		part, err := k.rawGet(ctx, h.chunkKey(key, i))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return "", fmt.Errorf("keyring read %q: chunk %d of %d is missing (delete the item with `obpm logout` and log in again)", key, i+1, h.n)
			}
			return "", err
		}
		b.WriteString(part)
	}
	sum := sha256.Sum256([]byte(b.String()))
	if hex.EncodeToString(sum[:]) != h.sum {
		return "", fmt.Errorf("keyring read %q: chunks do not match their digest (delete the item with `obpm logout` and log in again)", key)
	}
	return b.String(), nil
}

// Set stores value under key. A value over ChunkSize goes into chunk items
// of a fresh generation first; the head is switched to it last, and only then
// are the old generation's chunks removed, so a failure at any step leaves
// the previous value readable.
func (k *Keyring) Set(ctx context.Context, key, value string) error {
	old, oldErr := k.rawGet(ctx, key)
	if oldErr != nil && !errors.Is(oldErr, ErrNotFound) {
		// A keyring that cannot read will not write either; and without the
		// old head its chunks could not be cleaned up.
		return oldErr
	}
	var oldHead *head
	if oldErr == nil {
		if h, ok, err := parseHead(old); err == nil && ok {
			oldHead = &h
		}
	}
	size := k.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	if len(value) <= size && !strings.HasPrefix(value, chunkMarker) {
		if err := k.rawSet(ctx, key, value); err != nil {
			return err
		}
	} else {
		parts := split(value, size)
		sum := sha256.Sum256([]byte(value))
		h := head{gen: newGeneration(), n: len(parts), sum: hex.EncodeToString(sum[:])}
		for i, p := range parts {
			if err := k.rawSet(ctx, h.chunkKey(key, i), p); err != nil {
				k.deleteChunks(ctx, key, h)
				return err
			}
		}
		if err := k.rawSet(ctx, key, h.String()); err != nil {
			k.deleteChunks(ctx, key, h)
			return err
		}
	}
	if oldHead != nil {
		k.deleteChunks(ctx, key, *oldHead)
	}
	return nil
}

// Delete removes key and its chunks. It returns ErrNotFound when there is nothing.
func (k *Keyring) Delete(ctx context.Context, key string) error {
	old, err := k.rawGet(ctx, key)
	if err != nil {
		return err
	}
	if err := k.rawDelete(ctx, key); err != nil {
		return err
	}
	if h, ok, err := parseHead(old); err == nil && ok {
		k.deleteChunks(ctx, key, h)
	}
	return nil
}

// deleteChunks is best effort: a leftover chunk is unreachable garbage, not a
// wrong value.
func (k *Keyring) deleteChunks(ctx context.Context, key string, h head) {
	for i := range h.n {
		_ = k.rawDelete(ctx, h.chunkKey(key, i))
	}
}

type head struct {
	gen string
	n   int
	sum string
}

func (h head) String() string { return fmt.Sprintf("%s%s:%d:%s", chunkMarker, h.gen, h.n, h.sum) }

func (h head) chunkKey(key string, i int) string { return fmt.Sprintf("%s#%s.%d", key, h.gen, i) }

func parseHead(v string) (head, bool, error) {
	rest, ok := strings.CutPrefix(v, chunkMarker)
	if !ok {
		return head{}, false, nil
	}
	f := strings.Split(rest, ":")
	if len(f) != 3 {
		return head{}, true, errors.New("malformed chunk header")
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 || n > 1000 {
		return head{}, true, errors.New("malformed chunk count")
	}
	return head{gen: f[0], n: n, sum: f[2]}, true, nil
}

func newGeneration() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// split cuts s into parts of at most size bytes at rune boundaries.
func split(s string, size int) []string {
	var parts []string
	for len(s) > size {
		cut := size
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 {
			cut = size
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	return append(parts, s)
}
