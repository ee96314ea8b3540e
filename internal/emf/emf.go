// Package emf writes CloudWatch embedded metric format records: one JSON
// object per line, with an _aws key that tells CloudWatch Logs which of the
// object's members are metrics. Lambda sends stdout to CloudWatch Logs,
// which extracts the metrics; no agent or API call is needed.
//
// Each distinct combination of dimension values is a separate, billed
// custom metric, so high-cardinality values (an app id, a reload id) belong
// in properties: they stay searchable in the log record without creating
// metrics.
//
// Specification:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package emf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

// Units used by this project.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Metric is one value to record.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Dimension is one dimension of every metric a Writer records.
type Dimension struct {
	Name  string
	Value string
}

// Writer writes metric records to an io.Writer, one line each. It is safe
// for concurrent use.
type Writer struct {
	mu         sync.Mutex
	w          io.Writer
	namespace  string
	dimensions []Dimension
	now        func() time.Time
}

// New returns a Writer that records metrics in namespace with the given
// dimensions (possibly none) to w. now supplies the record's timestamp; nil
// means time.Now.
func New(w io.Writer, namespace string, now func() time.Time, dimensions ...Dimension) (*Writer, error) {
	if w == nil {
		return nil, errors.New("emf: nil writer")
	}
	if namespace == "" {
		return nil, errors.New("emf: empty namespace")
	}
	if len(dimensions) > 30 {
		return nil, fmt.Errorf("emf: %d dimensions; CloudWatch allows 30", len(dimensions))
	}
	for _, d := range dimensions {
		if d.Name == "" || d.Value == "" {
			return nil, fmt.Errorf("emf: dimension %q=%q: name and value must not be empty", d.Name, d.Value)
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Writer{w: w, namespace: namespace, dimensions: dimensions, now: now}, nil
}

type metricDirective struct {
	Namespace  string             `json:"Namespace"`
	Dimensions [][]string         `json:"Dimensions"`
	Metrics    []metricDefinition `json:"Metrics"`
}

type metricDefinition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit,omitempty"`
}

type metadata struct {
	Timestamp         int64             `json:"Timestamp"`
	CloudWatchMetrics []metricDirective `json:"CloudWatchMetrics"`
}

// Write records metrics, with properties as further members of the same
// JSON object (searchable in CloudWatch Logs, not metrics). A property
// whose name is taken by a metric, a dimension or _aws is dropped, so that
// it cannot corrupt the record.
func (w *Writer) Write(metrics []Metric, properties map[string]any) error {
	if len(metrics) == 0 || len(metrics) > 100 {
		return fmt.Errorf("emf: %d metrics; a record holds 1 to 100", len(metrics))
	}
	rec := make(map[string]any, len(properties)+len(metrics)+len(w.dimensions)+1)
	for k, v := range properties {
		rec[k] = v
	}
	dimNames := make([]string, 0, len(w.dimensions))
	for _, d := range w.dimensions {
		rec[d.Name] = d.Value
		dimNames = append(dimNames, d.Name)
	}
	defs := make([]metricDefinition, 0, len(metrics))
	for _, m := range metrics {
		if m.Name == "" {
			return errors.New("emf: metric with empty name")
		}
		rec[m.Name] = m.Value
		defs = append(defs, metricDefinition{Name: m.Name, Unit: m.Unit})
	}
	rec["_aws"] = metadata{
		Timestamp: w.now().UnixMilli(),
		CloudWatchMetrics: []metricDirective{{
			Namespace:  w.namespace,
			Dimensions: [][]string{dimNames},
			Metrics:    defs,
		}},
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("emf: encode record: %w", err)
	}
	line = append(line, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(line); err != nil {
		return fmt.Errorf("emf: write record: %w", err)
	}
	return nil
}
