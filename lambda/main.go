package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
)

// metricsNamespace is the CloudWatch namespace of the function's metrics.
const metricsNamespace = "QlikReloadTriggers"

func main() {
	// aws-lambda-go prints each function error with the standard logger;
	// without the date prefix that line is JSON like every other.
	log.SetFlags(0)
	logger := slog.New(lambdacontext.NewLogHandler())

	handler, err := setup(logger)
	if err != nil {
		logger.Error("the function cannot start", "errorType", "ConfigError", "error", err.Error())
		reportInitError(os.Getenv("AWS_LAMBDA_RUNTIME_API"), err)
		os.Exit(1)
	}
	lambda.Start(handler)
}

// setup reads the environment and wires the function. It makes no network
// call: the secret is read when the first invocation needs it.
func setup(logger *slog.Logger) (func(context.Context, json.RawMessage) (reload.Result, error), error) {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		return nil, fmt.Errorf("load the AWS SDK configuration: %w", err)
	}

	// One HTTP client, so the token exchange and the API calls share
	// connections to the tenant.
	httpClient := &http.Client{Transport: qlik.NewTransport()}
	common := []qlik.Option{
		qlik.WithHTTPClient(httpClient),
		qlik.WithRequestTimeout(cfg.RequestTimeout),
		qlik.WithLogger(logger),
	}
	tokenClient, err := qlik.NewClient(cfg.TenantURL, common...)
	if err != nil {
		return nil, err
	}
	creds, err := credential.NewSource(secretsmanager.NewFromConfig(awsCfg), cfg.SecretID, tokenClient,
		credential.WithTTL(cfg.SecretTTL), credential.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	client, err := qlik.NewClient(cfg.TenantURL, append(common, qlik.WithTokenSource(creds))...)
	if err != nil {
		return nil, err
	}
	var dims []emf.Dimension
	if cfg.FunctionName != "" {
		dims = append(dims, emf.Dimension{Name: "FunctionName", Value: cfg.FunctionName})
	}
	metrics, err := emf.New(os.Stdout, metricsNamespace, nil, dims...)
	if err != nil {
		return nil, err
	}
	h, err := reload.New(reload.Config{
		Client:      client,
		Credentials: creds,
		Logger:      logger,
		Metrics:     metrics,
		WaitTimeout: cfg.WaitTimeout,
	})
	if err != nil {
		return nil, err
	}
	return invoker(h), nil
}
