package stacks

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"sync"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	jsiiruntime "github.com/aws/jsii-runtime-go/runtime"
)

// A Go CDK app builds its constructs in the jsii kernel, a Node.js process:
// each awsscheduler.NewCfnSchedule is one request and one response over a
// pipe, about a quarter of a millisecond of round trip on a two-core machine
// whatever the schedule. With 20,000 rows those round trips were most of
// the synth. schedulebatch/ holds a jsii module of one static method, in the
// form jsii's generated bindings use: a jsii assembly (the type information
// the kernel checks arguments against) and its JavaScript. Loaded into the
// kernel beside aws-cdk-lib, it creates a whole stack's schedules in one
// call, with the same aws-cdk-lib class, construct IDs and properties, so
// the templates are byte for byte those of one call per schedule.
const (
	batchModule  = "qlik-reload-triggers-schedules"
	batchVersion = "1.0.0"
	batchClass   = batchModule + ".Schedules"
)

//go:embed schedulebatch/package.json schedulebatch/index.js schedulebatch/assembly.json
var batchFiles embed.FS

var batchTarball = sync.OnceValues(packBatchModule)

// packBatchModule packs schedulebatch/ the way npm packs a package, which
// is what the jsii kernel loads: files under package/, the assembly named
// .jsii. The fixed times make the same files the same tarball, which the
// kernel's package cache keys on.
func packBatchModule() ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ src, dst string }{
		{"schedulebatch/package.json", "package/package.json"},
		{"schedulebatch/index.js", "package/index.js"},
		{"schedulebatch/assembly.json", "package/.jsii"},
	} {
		body, err := batchFiles.ReadFile(f.src)
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: f.dst, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// batchSchedule is one schedule of a batch: the construct ID and the props
// of awsscheduler.NewCfnSchedule.
type batchSchedule struct {
	ID    string                         `json:"id"`
	Props *awsscheduler.CfnScheduleProps `json:"props"`
}

// addSchedules adds awsscheduler.CfnSchedule(scope, s.ID, s.Props) for
// every s in one call into the jsii kernel. The schedules travel as one JSON
// string, which encoding/json writes and the kernel parses natively, instead
// of as thousands of structs that jsii converts field by field on both
// sides. Like the generated bindings, it panics when the kernel refuses the
// call; the kernel's CfnSchedule checks each props when it renders the
// template, as it does for NewCfnSchedule.
func addSchedules(scope constructs.Construct, schedules []batchSchedule) {
	if len(schedules) == 0 {
		return
	}
	tarball, err := batchTarball()
	var raw []byte
	if err == nil {
		raw, err = json.Marshal(schedules)
	}
	if err != nil {
		// Neither packing embedded files in memory nor encoding these
		// structs fails; should one, one call per schedule makes the same
		// schedules, only slower.
		for _, s := range schedules {
			awsscheduler.NewCfnSchedule(scope, jsii.String(s.ID), s.Props)
		}
		return
	}
	// The jsii client sends a module once; loading it again is free.
	jsiiruntime.Load(batchModule, batchVersion, tarball)
	jsiiruntime.StaticInvokeVoid(batchClass, "add", []interface{}{scope, string(raw)})
}
