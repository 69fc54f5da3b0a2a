package runfile

import (
	"bytes"
	"os"
	"strconv"
)

// procStart returns when process pid started (field 22 of /proc/PID/stat,
// clock ticks since boot). A PID is reused once its process ends; the start
// time is not, so together they name one process: a record whose PID now
// belongs to another process of ours (after kill -9) is told from a live one.
func procStart(pid int) (uint64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces and
	// parentheses itself: the fields after it start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
