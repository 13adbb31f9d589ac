package main

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/relay"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// backlog is count stream records of the service's own writes, made by the
// memory adapter, which keeps DynamoDB's stream images: half creates of the
// sample entity, half updates of those (the first top-level entity's,
// whose events no consumer takes here, so the figure is the relay's and
// EventBridge's, not a consumer's).
func backlog(tb testing.TB, count int) []events.DynamoDBEventRecord {
	tb.Helper()
	codec, err := cursor.New([]byte("backlog-test-signing-key"))
	if err != nil {
		tb.Fatal(err)
	}
	s := memory.NewStorage(codec)
	clock := kit.SystemClock{}
	router := apigw.NewRouter(zap.NewNop())
	if err := app.Register(resource.NewService(command.NewBus(), router, s, clock, kit.UUIDv7{Clock: clock})); err != nil {
		tb.Fatal(err)
	}
	sample := sampleEntity(tb)
	send := func(method, path, body string, want int) events.APIGatewayProxyResponse {
		resp, err := router.Invoke(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: method, Path: path, Body: body})
		if err != nil || resp.StatusCode != want {
			tb.Fatalf("%s %s: %d %s %v", method, path, resp.StatusCode, resp.Body, err)
		}
		return resp
	}
	var made []string
	for range count / 2 {
		made = append(made, send(http.MethodPost, sample.create.Path, sample.createBody, http.StatusCreated).Headers["Location"])
	}
	for _, item := range made {
		send(http.MethodPut, item, sample.updateBody, http.StatusOK)
	}
	changes, _ := s.Changes(0)
	recs := make([]events.DynamoDBEventRecord, len(changes))
	for i, c := range changes {
		recs[i] = relay.RecordOf(c, fmt.Sprintf("%021d", i+1), "arn:aws:dynamodb:local:000000000000:table/backlog/stream/x")
	}
	if len(recs) != count/2*2 {
		tb.Fatalf("%d records for %d writes", len(recs), count/2*2)
	}
	return recs
}

// BenchmarkEventThroughput drains a backlog of 10,000 stream records
// through the event function's real binary under the Lambda emulator, in
// batches of 100 as its event source mapping delivers them, publishing to
// the EventBridge stand-in through the real SDK client. It reports events
// per second, and the same backlog through the relay in process (no
// emulator, no invoke round trip) as the yardstick.
func BenchmarkEventThroughput(b *testing.B) {
	const records, batch = 10000, 100
	p := newEventRig(b)
	recs := backlog(b, records)
	fn := runEmulator(b, p.bin, p.env)
	b.Cleanup(fn.stop)
	drain := func() {
		for start := 0; start < len(recs); start += batch {
			if failed := fn.deliver(b, recs[start:min(start+batch, len(recs))]); failed != "" {
				b.Fatalf("record %s failed", failed)
			}
		}
	}
	drain() // the cold start, and the stand-in's first connections
	b.ResetTimer()
	for range b.N {
		drain()
	}
	b.StopTimer()
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
	if got := len(p.bus.Accepted()); got != records*(b.N+1) {
		b.Fatalf("%d events published, want %d", got, records*(b.N+1))
	}
}

// BenchmarkEventColdStart starts the event function cold under the Lambda
// emulator, with a first batch of one record, and the hello-world baseline
// beside it, alternating; it reports the medians of INIT and the first
// invoke as RIE measures them, the ratio to the baseline, and the binary's
// size as make build ships it (linux/arm64). make bench-cold runs it.
func BenchmarkEventColdStart(b *testing.B) {
	p := newEventRig(b)
	recs := backlog(b, 2)[:1]
	hello := coldFunctions[len(coldFunctions)-1]
	helloBin := buildFunctions(b, runtime.GOOS, runtime.GOARCH, hello.pkg)[hello.pkg]
	size := binarySizes(b, buildTagged(b, lambdaTags+","+eventsTag, "linux", "arm64", servicePkg))[servicePkg]
	var inits, firsts, helloInits []time.Duration
	b.ResetTimer()
	for range b.N {
		e := runEmulator(b, p.bin, p.env)
		if failed := e.deliver(b, recs); failed != "" {
			e.stop()
			b.Fatalf("record %s failed", failed)
		}
		init, first := rieDurations(b, e)
		e.stop()
		inits, firsts = append(inits, init), append(firsts, first)
		hi, _ := coldStart(b, hello, helloBin, p.env, "/")
		helloInits = append(helloInits, hi)
	}
	b.StopTimer()
	b.ReportMetric(ms(median(inits)), "events-init-ms")
	b.ReportMetric(ms(median(firsts)), "events-first-ms")
	b.ReportMetric(ms(median(helloInits)), "hello-init-ms")
	b.ReportMetric(float64(median(inits))/float64(median(helloInits)), "x-hello-init")
	b.ReportMetric(mib(size), "events-MB")
	b.ReportMetric(0, "ns/op")
}

// rieDurations reads INIT and the first invoke's duration from RIE's log.
func rieDurations(tb testing.TB, e *emulator) (init, first time.Duration) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		log := e.out.String()
		im, fm := initReport.FindStringSubmatch(log), invokeRTDone.FindStringSubmatch(log)
		if im != nil && fm != nil {
			return msDuration(tb, im[1]), msDuration(tb, fm[2])
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no INIT REPORT and INVOKE RTDONE in the log:\n%s", e.out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
