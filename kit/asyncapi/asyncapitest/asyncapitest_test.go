package asyncapitest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/lambdakit/lambdakit/kit/asyncapi/asyncapitest"
)

// recorder is a testing.TB whose Fatal and Skip stop only the goroutine
// they run on, recording what ended it.
type recorder struct {
	testing.TB
	fatal, skipped string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...); runtime.Goexit() }

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) { r.skipped = fmt.Sprint(args...); runtime.Goexit() }

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) SkipNow() { r.skipped = "SkipNow"; runtime.Goexit() }

// TestMissingNodeFails checks that a test without Node.js fails, saying
// what to install, rather than skipping or passing. kit/asyncapi's parser
// tests cover a document accepted and one rejected.
func TestMissingNodeFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		asyncapitest.Check(r, []byte(`{}`))
	}()
	<-done
	if r.skipped != "" {
		t.Fatalf("skipped: %s", r.skipped)
	}
	if !strings.Contains(r.fatal, "node is not on PATH") {
		t.Errorf("fatal = %q, want it to say node is missing", r.fatal)
	}
}
