package eventbridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/lambdakit/lambdakit/kit/event"
)

// entry is ev as a PutEvents entry: the whole event as its detail, its name
// as the detail type.
func (p *Publisher) entry(ev event.Event) (types.PutEventsRequestEntry, error) {
	var e types.PutEventsRequestEntry
	if ev.Metadata.Name == "" {
		return e, errors.New("eventbridge: event " + ev.Metadata.ID + " has no name")
	}
	detail, err := json.Marshal(ev)
	if err != nil {
		return e, fmt.Errorf("eventbridge: encode event %s: %w", ev.Metadata.ID, err)
	}
	e = types.PutEventsRequestEntry{
		Source:       aws.String(p.Source),
		DetailType:   aws.String(ev.Metadata.Name),
		Detail:       aws.String(string(detail)),
		EventBusName: aws.String(p.Bus),
	}
	// Without a time EventBridge stamps the put's; the write's is the
	// truth, and rules and archives replays see it.
	if t, err := time.Parse(time.RFC3339Nano, ev.Metadata.OccurredAt); err == nil {
		e.Time = &t
	}
	if id := ev.Metadata.TraceID; id != "" {
		// The metadata keeps the trace id (the header's Root); EventBridge
		// wants the X-Ray header, so that targets join the trace.
		if !strings.Contains(id, "Root=") {
			id = "Root=" + id
		}
		e.TraceHeader = aws.String(id)
	}
	if n := EntrySize(e); n > MaxBatchBytes {
		return e, fmt.Errorf("eventbridge: event %s is %d bytes, over %d: %w", ev.Metadata.ID, n, MaxBatchBytes, ErrTooLarge)
	}
	return e, nil
}

// EntrySize is e's size as EventBridge counts it against MaxBatchBytes (14
// bytes for a time, and the UTF-8 bytes of the source, detail type, detail
// and resources), plus, to be safe, those of the bus name and trace header,
// which AWS's formula leaves out.
func EntrySize(e types.PutEventsRequestEntry) int {
	n := 0
	if e.Time != nil {
		n += 14
	}
	for _, s := range []*string{e.Source, e.DetailType, e.Detail, e.EventBusName, e.TraceHeader} {
		if s != nil {
			n += len(*s)
		}
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}
