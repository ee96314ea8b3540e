package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

// invoker adapts the handler to aws-lambda-go. Errors become Lambda errors
// whose type is the error's kind, so that failure destinations and metric
// filters can tell causes apart without reading messages.
func invoker(h *reload.Handler) func(context.Context, json.RawMessage) (reload.Result, error) {
	return func(ctx context.Context, payload json.RawMessage) (reload.Result, error) {
		res, err := h.Invoke(ctx, payload)
		if err != nil {
			return reload.Result{}, lambdaError(err)
		}
		return res, nil
	}
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
