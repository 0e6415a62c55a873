package sftp_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

const sshdPath = "/usr/sbin/sshd"

// sshd is a real OpenSSH server on a loopback port, with its own host key, config and
// authorized keys in a temporary directory, serving SFTP by internal-sftp as the
// current user. Root is the directory tests put the remote folders in.
type sshd struct {
	t       *testing.T
	dir     string
	Root    string
	Port    int
	User    string
	HostKey ssh.PublicKey
	// EdKey and RSAKey are OpenSSH private keys (PEM) in authorized_keys; EdKeyPass is
	// EdKey encrypted with Passphrase.
	EdKey, RSAKey, EdKeyPass []byte
	Passphrase               []byte

	mu   sync.Mutex
	cmd  *exec.Cmd
	exit chan struct{}
	log  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSSHD starts the server, or skips the test when OpenSSH is not installed.
func startSSHD(t *testing.T) *sshd {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		t.Skipf("%s not found: install the Debian package openssh-server to run the SFTP integration tests (.ci/run does)", sshdPath)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// sshd's privilege-separation directory, made by the package's service unit.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Skipf("cannot create /run/sshd: %v", err)
		}
	}
	s := &sshd{t: t, dir: t.TempDir(), Root: t.TempDir(), User: u.Username, log: &syncBuffer{}}

	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	s.writePEM("host_ed25519", hostPriv, nil)
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	s.HostKey = hostSigner.PublicKey()

	ck := testClientKeys(t)
	s.EdKey, s.EdKeyPass, s.RSAKey, s.Passphrase = ck.ed, ck.edPass, ck.rsa, ck.passphrase
	if err := os.WriteFile(filepath.Join(s.dir, "authorized_keys"), ck.authorized, 0o600); err != nil {
		t.Fatal(err)
	}

	s.Port = freePort(t)
	config := fmt.Sprintf(`ListenAddress 127.0.0.1:%d
HostKey %[2]s/host_ed25519
PidFile %[2]s/sshd.pid
AuthorizedKeysFile %[2]s/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PermitRootLogin yes
AllowUsers %[3]s
MaxStartups 100
MaxSessions 100
LogLevel VERBOSE
Subsystem sftp internal-sftp
`, s.Port, s.dir, s.User)
	if err := os.WriteFile(filepath.Join(s.dir, "sshd_config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("sshd log:\n%s", s.log.String())
		}
	})
	return s
}

func (s *sshd) writePEM(name string, key any, passphrase []byte) []byte {
	s.t.Helper()
	data, err := marshalKey(key, passphrase)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, name), data, 0o600); err != nil {
		s.t.Fatal(err)
	}
	return data
}

func marshalKey(key any, passphrase []byte) ([]byte, error) {
	var block *pem.Block
	var err error
	if passphrase != nil {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(key, "claimflow test", passphrase)
	} else {
		block, err = ssh.MarshalPrivateKey(key, "claimflow test")
	}
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(block), nil
}

// clientKeys are the test's client keys, made once per test binary (RSA generation
// and passphrase encryption are slow): ed25519 plain and encrypted, RSA, and the
// authorized_keys lines of both.
type clientKeys struct {
	ed, edPass, rsa, passphrase, authorized []byte
}

var (
	clientKeysOnce sync.Once
	clientKeysVal  clientKeys
	clientKeysErr  error
)

func testClientKeys(t *testing.T) clientKeys {
	t.Helper()
	clientKeysOnce.Do(func() {
		var k clientKeys
		_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
		rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			clientKeysErr = err
			return
		}
		k.passphrase = []byte("correct horse battery staple")
		if k.ed, err = marshalKey(edPriv, nil); err == nil {
			if k.edPass, err = marshalKey(edPriv, k.passphrase); err == nil {
				k.rsa, err = marshalKey(rsaPriv, nil)
			}
		}
		if err != nil {
			clientKeysErr = err
			return
		}
		var authorized bytes.Buffer
		for _, key := range []any{edPriv, rsaPriv} {
			signer, err := ssh.NewSignerFromKey(key)
			if err != nil {
				clientKeysErr = err
				return
			}
			authorized.Write(ssh.MarshalAuthorizedKey(signer.PublicKey()))
		}
		k.authorized = authorized.Bytes()
		clientKeysVal = k
	})
	if clientKeysErr != nil {
		t.Fatal(clientKeysErr)
	}
	return clientKeysVal
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr is 127.0.0.1:port.
func (s *sshd) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// Start runs sshd in the foreground (-D) logging to our buffer (-e), and waits until
// it answers with its banner.
func (s *sshd) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", filepath.Join(s.dir, "sshd_config"))
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting sshd: %v", err)
	}
	exit := make(chan struct{})
	go func() { cmd.Wait(); close(exit) }()
	s.cmd, s.exit = cmd, exit
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exit:
			s.t.Fatalf("sshd exited at start:\n%s", s.log.String())
		default:
		}
		if banner(s.Addr()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("sshd did not answer on %s:\n%s", s.Addr(), s.log.String())
}

func banner(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-2.0-")
}

// Kill ends the server as a crash would: SIGKILL to the listening sshd and to every
// process it started (the per-connection sshd processes, which run in sessions of
// their own, and the sftp server in them).
func (s *sshd) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	pids := append(descendants(s.cmd.Process.Pid), s.cmd.Process.Pid)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	<-s.exit
	s.cmd = nil
}

// descendants returns the ids of every process below pid, read from /proc.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// sessions counts the per-connection processes running under the server.
func (s *sshd) sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return len(descendants(s.cmd.Process.Pid))
}
