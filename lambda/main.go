package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"
	// The row's time zone names scheduled times in alerts; the runtime
	// image need not have the zone database.
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/chain"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/credential"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/emf"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/ledger"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/metrics"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/qlik"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/reload"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/runs"
	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/watch"
)

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
func setup(logger *slog.Logger) (func(context.Context, json.RawMessage) (any, error), error) {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	// The SDK's default configuration honours AWS_ENDPOINT_URL_DYNAMODB,
	// AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_SECRETS_MANAGER.
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		return nil, fmt.Errorf("load the AWS SDK configuration: %w", err)
	}
	secrets := secretsmanager.NewFromConfig(awsCfg)
	if cfg.Watch != nil {
		return setupWatcher(cfg, awsCfg, secrets, logger)
	}

	// One HTTP client, so the token exchange and the API calls share
	// connections to the tenant.
	httpClient := &http.Client{Transport: qlik.NewTransport()}
	common := []qlik.Option{
		qlik.WithHTTPClient(httpClient),
		qlik.WithRequestTimeout(cfg.RequestTimeout),
		qlik.WithLogger(logger),
	}
	var dims []emf.Dimension
	if cfg.FunctionName != "" {
		dims = append(dims, emf.Dimension{Name: "FunctionName", Value: cfg.FunctionName})
	}
	metrics, err := emf.New(os.Stdout, metrics.Namespace, nil, dims...)
	if err != nil {
		return nil, err
	}

	// A direct invocation waits out a rate limit and retries what failed,
	// as it always did. A start-queue message does neither: its client
	// sends each request once, and the message goes back on the queue.
	direct, err := newHandler(cfg, secrets, common, logger, metrics, cfg.WaitTimeout)
	if err != nil {
		return nil, err
	}
	queued, err := newHandler(cfg, secrets, append(common, qlik.WithRetryMax(0)), logger, nil, 0)
	if err != nil {
		return nil, err
	}
	led, err := ledger.New(ledger.Config{DB: dynamodb.NewFromConfig(awsCfg), Table: cfg.Runs.LedgerTable, HistoryDays: cfg.Runs.HistoryDays})
	if err != nil {
		return nil, err
	}
	consumer, err := runs.New(runs.Config{
		Starter:            queued,
		DirectStarter:      direct,
		Ledger:             led,
		Queue:              sqs.NewFromConfig(awsCfg),
		StartQueueURL:      cfg.Runs.StartQueueURL,
		DeadLetterQueueURL: cfg.Runs.DeadLetterQueueURL,
		MaxDelay:           cfg.Runs.MaxDelay,
		// A record is started only while the reads, the POST and a
		// look-up of its outcome still fit; later records go back to the
		// queue at once instead of failing for lack of time.
		Reserve: 2*cfg.RequestTimeout + 5*time.Second,
		Logger:  logger,
		Metrics: metrics,
	})
	if err != nil {
		return nil, err
	}
	return invoker(consumer), nil
}

// setupWatcher wires the watcher: the ledger (which it queries through the
// open index), a Qlik client that sends each read once (a rate limit ends
// the round; the next minute tries again), the alarm topic and metrics
// with the environment as their dimension.
func setupWatcher(cfg config, awsCfg aws.Config, secrets credential.SecretReader, logger *slog.Logger) (func(context.Context, json.RawMessage) (any, error), error) {
	wc := cfg.Watch
	opts := []qlik.Option{
		qlik.WithHTTPClient(&http.Client{Transport: qlik.NewTransport()}),
		qlik.WithRequestTimeout(cfg.RequestTimeout),
		qlik.WithLogger(logger),
		qlik.WithRetryMax(0),
	}
	client, _, err := newTenantClient(cfg, secrets, opts, logger)
	if err != nil {
		return nil, err
	}
	led, err := ledger.New(ledger.Config{DB: dynamodb.NewFromConfig(awsCfg), Table: wc.LedgerTable, HistoryDays: wc.HistoryDays})
	if err != nil {
		return nil, err
	}
	metrics, err := emf.New(os.Stdout, metrics.Namespace, nil, emf.Dimension{Name: "Environment", Value: wc.Environment})
	if err != nil {
		return nil, err
	}
	chains, err := setupChains(wc, led, sqs.NewFromConfig(awsCfg), logger)
	if err != nil {
		return nil, err
	}
	w, err := watch.New(watch.Config{
		Chains:         chains,
		Ledger:         led,
		Tenant:         client,
		Alerts:         sns.NewFromConfig(awsCfg),
		TopicARN:       wc.TopicARN,
		Environment:    wc.Environment,
		ReadsPerMinute: wc.ReadsPerMinute,
		MaxRun:         wc.MaxRun,
		Logger:         logger,
		Metrics:        metrics,
	})
	if err != nil {
		return nil, err
	}
	return watchInvoker(w), nil
}

// setupChains reads the chain graph bundled with the function and returns
// what starts the rows after a row that succeeded, or nil when the table
// has no chains.
func setupChains(wc *watchConfig, led *ledger.Ledger, queue chain.Queue, logger *slog.Logger) (watch.Chains, error) {
	graph, err := loadChains(os.Getenv, os.ReadFile)
	if err != nil || graph == nil {
		return nil, err
	}
	if wc.StartQueueURL == "" {
		return nil, fmt.Errorf("%s is set but %s is not, so the chains could not start their rows; set it to the start queue's URL", envChainsFile, envStartQueueURL)
	}
	return chain.NewStarter(chain.Config{Graph: graph, Ledger: led, Queue: queue, QueueURL: wc.StartQueueURL, Logger: logger})
}

// newHandler builds a reload handler with a credential source of its own,
// whose token exchange uses the same client options.
func newHandler(cfg config, secrets credential.SecretReader, opts []qlik.Option, logger *slog.Logger, metrics reload.Metrics, wait time.Duration) (*reload.Handler, error) {
	client, creds, err := newTenantClient(cfg, secrets, opts, logger)
	if err != nil {
		return nil, err
	}
	return reload.New(reload.Config{
		Client:      client,
		Credentials: creds,
		Logger:      logger,
		Metrics:     metrics,
		WaitTimeout: wait,
	})
}

// newTenantClient builds a Qlik client whose bearer token comes from the
// credential in the secret: an API key as it is, or an OAuth client's token
// fetched through a second client with the same options.
func newTenantClient(cfg config, secrets credential.SecretReader, opts []qlik.Option, logger *slog.Logger) (*qlik.Client, *credential.Source, error) {
	tokenClient, err := qlik.NewClient(cfg.TenantURL, opts...)
	if err != nil {
		return nil, nil, err
	}
	creds, err := credential.NewSource(secrets, cfg.SecretID, tokenClient,
		credential.WithTTL(cfg.SecretTTL), credential.WithLogger(logger))
	if err != nil {
		return nil, nil, err
	}
	client, err := qlik.NewClient(cfg.TenantURL, append(opts, qlik.WithTokenSource(creds))...)
	if err != nil {
		return nil, nil, err
	}
	return client, creds, nil
}
