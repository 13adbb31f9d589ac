package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
)

// Bounds of the setup and teardown: generous for a loaded 2-core machine,
// short next to the run's deadline.
const (
	readyWithin = 60 * time.Second
	stopWithin  = 5 * time.Second
)

// servers is everything the load test starts: DynamoDB Local, the service
// and the baseline, each on a free loopback port, and a directory for
// their binaries and logs.
type servers struct {
	dir      string
	ddb      *dynamotest.Server
	procs    []*proc
	service  string // base URLs
	baseline string
}

// startServers builds both servers, starts DynamoDB Local and then each
// server against its own table, and waits until both answer. On error it
// stops what it started.
func startServers(ctx context.Context, logLevel string) (*servers, error) {
	s := &servers{}
	if err := s.start(ctx, logLevel); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	return s, nil
}

func (s *servers) start(ctx context.Context, logLevel string) error {
	root, err := dynamotest.ModuleRoot()
	if err != nil {
		return fmt.Errorf("find the module: %w", err)
	}
	if s.dir, err = os.MkdirTemp("", "lambdakit-load-"); err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	service, baseline := filepath.Join(s.dir, "service"), filepath.Join(s.dir, "baseline")
	if err := build(ctx, root, service, "./bootstrap"); err != nil {
		return err
	}
	if err := build(ctx, root, baseline, "./bootstrap/cmd/baseline/httpserver"); err != nil {
		return err
	}
	if s.ddb, err = dynamotest.Start(ctx); err != nil {
		return fmt.Errorf("start DynamoDB Local: %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	suffix := randomSuffix()
	if s.service, err = s.launch(ctx, "service", service, ports[0],
		"TABLE_NAME=load-service-"+suffix,
		"SWAGGER_UI_DIR="+filepath.Join(root, ".local", "node_modules", "swagger-ui-dist"), // as make run sets it
		// The service logs a line per request at info, as under make run;
		// at warn it logs only failures, as the baseline does.
		"LOG_LEVEL="+logLevel); err != nil {
		return err
	}
	s.baseline, err = s.launch(ctx, "baseline", baseline, ports[1], "TABLE_NAME=load-baseline-"+suffix)
	return err
}

// pid is a server's process id, or 0 for a name not started.
func (s *servers) pid(name string) int {
	for _, p := range s.procs {
		if p.name == name {
			return p.cmd.Process.Pid
		}
	}
	return 0
}

// logTail is the end of a server's log, or "" for a name not started.
func (s *servers) logTail(name string) string {
	for _, p := range s.procs {
		if p.name == name {
			return p.tail()
		}
	}
	return ""
}

// launch starts a server on port against DynamoDB Local, with env added
// to this process's environment, and waits until it answers; it returns
// its base URL.
func (s *servers) launch(ctx context.Context, name, bin string, port int, env ...string) (string, error) {
	env = append(os.Environ(), append(env,
		"PORT="+strconv.Itoa(port),
		"DYNAMODB_ENDPOINT="+s.ddb.Endpoint(),
		"AWS_LAMBDA_RUNTIME_API=", // serve HTTP, whatever the environment says
	)...)
	p, err := startProc(name, bin, env, filepath.Join(s.dir, name+".log"))
	if err != nil {
		return "", err
	}
	s.procs = append(s.procs, p)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	return base, p.waitReady(ctx, base+collection+"?pageSize=1")
}

// stop ends the servers, then DynamoDB Local, and removes the directory.
func (s *servers) stop() error {
	var errs []error
	for i := len(s.procs) - 1; i >= 0; i-- {
		errs = append(errs, s.procs[i].stop())
	}
	if s.ddb != nil {
		errs = append(errs, s.ddb.Stop())
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

// build compiles pkg, a path within the module at root, to out.
func build(ctx context.Context, root, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, output)
	}
	return nil
}

// freePorts returns n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	seen := map[int]bool{}
	var ports []int
	for len(ports) < n {
		p, err := dynamotest.FreePort()
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// randomSuffix makes table names that a shared DYNAMODB_ENDPOINT has not
// seen, so a run never starts on an earlier run's items.
func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// proc is a server process, its output going to a log file.
type proc struct {
	name   string
	cmd    *exec.Cmd
	log    string
	cancel context.CancelFunc
	exited chan struct{}
}

func startProc(name, bin string, env []string, logPath string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	defer f.Close() // the child has its own copy once started
	// The process lives until stop, not as long as the context of any
	// one step of the run.
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	// stop asks first: both servers shut down gracefully on SIGTERM.
	// exec kills one that is still there stopWithin later.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopWithin
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, cancel: cancel, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// waitReady polls url until it answers 200, the process exits, or ctx or
// readyWithin ends.
func (p *proc) waitReady(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, readyWithin)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if ok := get200(ctx, client, url); ok {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited at start; its log ends:\n%s", p.name, p.tail())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer %s: %w; its log ends:\n%s", p.name, url, ctx.Err(), p.tail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func get200(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// stop shuts the process down: SIGTERM, then SIGKILL if it is still
// there stopWithin later. It reports a process that had to be killed.
func (p *proc) stop() error {
	p.cancel()
	<-p.exited
	if state := p.cmd.ProcessState; state != nil && !state.Exited() {
		return fmt.Errorf("%s did not exit by itself: %v", p.name, state)
	}
	return nil
}

// tail is the end of the process's log, for error messages.
func (p *proc) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}
