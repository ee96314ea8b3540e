package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/runs"
)

// invoker adapts the consumer to aws-lambda-go. A batch from the start
// queue's event source mapping answers with the messages that must come
// back; any other payload is a direct invocation, which answers with its
// result or fails with a Lambda error whose type is the error's kind, so
// that failure destinations and metric filters can tell causes apart
// without reading messages.
func invoker(c *runs.Consumer) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		if batch, ok := sqsBatch(payload); ok {
			return c.HandleQueue(ctx, batch)
		}
		res, err := c.HandleDirect(ctx, payload)
		if err != nil {
			return nil, lambdaError(err)
		}
		return res, nil
	}
}

// sqsBatch reports whether payload is an SQS event: an object whose
// Records come from aws:sqs. A direct event has no Records member.
func sqsBatch(payload []byte) (events.SQSEvent, bool) {
	var batch events.SQSEvent
	if json.Unmarshal(payload, &batch) != nil || len(batch.Records) == 0 {
		return events.SQSEvent{}, false
	}
	for _, r := range batch.Records {
		if r.EventSource != "aws:sqs" {
			return events.SQSEvent{}, false
		}
	}
	return batch, true
}

func lambdaError(err error) error {
	kind := "Error"
	var e *reload.Error
	if errors.As(err, &e) {
		kind = string(e.Kind)
	}
	return messages.InvokeResponse_Error{Message: err.Error(), Type: kind}
}

// reportInitError tells the Lambda Runtime API that initialization failed,
// so that the invocation fails with this message instead of a bare "exit
// status 1". aws-lambda-go has no call for it.
func reportInitError(runtimeAPI string, err error) {
	if runtimeAPI == "" {
		return
	}
	body, merr := json.Marshal(messages.InvokeResponse_Error{Message: err.Error(), Type: "ConfigError"})
	if merr != nil {
		return
	}
	req, rerr := http.NewRequest(http.MethodPost, "http://"+runtimeAPI+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "ConfigError")
	resp, derr := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if derr != nil {
		return
	}
	resp.Body.Close()
}
