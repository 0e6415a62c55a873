package simulator

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// errRefused is what a client that fails to authenticate is told.
var errRefused = errors.New("refused")

// sshConfig is the SSH server configuration: the host key and the users' keys and
// passwords.
func (s *Server) sshConfig() *ssh.ServerConfig {
	users := s.cfg.Users
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			u, ok := users[meta.User()]
			if !ok {
				return nil, errRefused
			}
			want := key.Marshal()
			for _, k := range u.AuthorizedKeys {
				if bytes.Equal(k.Marshal(), want) {
					return &ssh.Permissions{}, nil
				}
			}
			return nil, errRefused
		},
		PasswordCallback: func(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			u, ok := users[meta.User()]
			if !ok || u.Password == "" || subtle.ConstantTimeCompare([]byte(u.Password), password) != 1 {
				return nil, errRefused
			}
			return &ssh.Permissions{}, nil
		},
	}
	cfg.AddHostKey(s.hostKey)
	return cfg
}

// accept serves connections until the listener is closed.
func (s *Server) accept(ln net.Listener, cfg *ssh.ServerConfig) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warn("simulator stopped accepting connections", "err", err)
			}
			return
		}
		s.netMu.Lock()
		if s.closed {
			s.netMu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.netMu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.netMu.Lock()
				delete(s.conns, conn)
				s.netMu.Unlock()
				conn.Close()
			}()
			s.serveConn(conn, cfg)
		}()
	}
}

// serveConn runs the SSH handshake and the sessions of one connection.
func (s *Server) serveConn(conn net.Conn, cfg *ssh.ServerConfig) {
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		s.log.Debug("simulator handshake failed", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	conn.SetDeadline(time.Time{})
	defer sc.Close()
	s.log.Debug("simulator connection", "user", sc.User(), "remote", conn.RemoteAddr().String())
	go ssh.DiscardRequests(reqs) // keepalives get their (negative) answer
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions are served")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveSession(ch, creqs)
		}()
	}
}

// serveSession serves the sftp subsystem, and nothing else (no shell, no exec).
func (s *Server) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "subsystem" || !isSFTP(req.Payload) {
			req.Reply(false, nil)
			continue
		}
		req.Reply(true, nil)
		go ssh.DiscardRequests(reqs)
		rs := sftp.NewRequestServer(ch, s.handlers())
		if err := rs.Serve(); err != nil && !errors.Is(err, io.EOF) {
			s.log.Debug("simulator sftp session ended", "err", fmt.Sprint(err))
		}
		rs.Close()
		return
	}
}

// isSFTP reports whether a subsystem request's payload (an SSH string) names sftp.
func isSFTP(payload []byte) bool {
	var p struct{ Name string }
	return ssh.Unmarshal(payload, &p) == nil && p.Name == "sftp"
}
