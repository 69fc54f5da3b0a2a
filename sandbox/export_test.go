package sandbox

// SetCompactAt lowers the journal size at which the state file is rewritten
// as a snapshot, so that a test sees compaction without a megabyte of changes.
func SetCompactAt(s *Server, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.file.compactAt = n
}

// SetNoDirect makes s answer every operation through the generic answer
// maps, for comparing them with the direct answers.
func SetNoDirect(s *Server, off bool) { s.noDirect = off }
