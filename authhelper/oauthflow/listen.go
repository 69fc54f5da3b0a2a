package oauthflow

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// ListenLoopback opens the sockets that serve a loopback host and port — a
// redirect URI's, or the daemon's (host "localhost"). The one rule for
// login, serve and doctor: 127.0.0.1 → IPv4 only; ::1 → IPv6 only;
// localhost → 127.0.0.1 and also ::1 on the same port when the machine has
// IPv6 loopback (browsers may try ::1 first). Port 0 picks a free port that
// both share. A machine without IPv6 is no error; another program holding
// the IPv6 side of the port is one (*PortInUseError), since the browser's
// callback, code and state included, could reach it.
func ListenLoopback(host string, port int) ([]net.Listener, error) {
	switch host {
	case "::1", "[::1]":
		l, err := listen("tcp6", "::1", port)
		if err != nil {
			return nil, err
		}
		return []net.Listener{l}, nil
	case "127.0.0.1":
		l, err := listen("tcp4", "127.0.0.1", port)
		if err != nil {
			return nil, err
		}
		return []net.Listener{l}, nil
	case "localhost", "":
	default:
		return nil, fmt.Errorf("listen on %s: not a loopback host (use 127.0.0.1, [::1] or localhost)", host)
	}
	l4, err := listen("tcp4", "127.0.0.1", port)
	if err != nil {
		return nil, err
	}
	l6, err := listen("tcp6", "::1", l4.Addr().(*net.TCPAddr).Port)
	var busy *PortInUseError
	switch {
	case err == nil:
		return []net.Listener{l4, l6}, nil
	case errors.As(err, &busy):
		l4.Close()
		return nil, err
	default: // no IPv6 loopback here
		return []net.Listener{l4}, nil
	}
}

func listen(network, ip string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	l, err := net.Listen(network, addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, &PortInUseError{Addr: addr, Err: err}
	}
	return l, err
}

// PortInUseError says another program holds the address.
type PortInUseError struct {
	Addr string
	Err  error
}

func (e *PortInUseError) Error() string { return "listen on " + e.Addr + ": port in use" }
func (e *PortInUseError) Unwrap() error { return e.Err }

// IPv6 reports whether the busy address is the IPv6 loopback.
func (e *PortInUseError) IPv6() bool { return len(e.Addr) > 0 && e.Addr[0] == '[' }
