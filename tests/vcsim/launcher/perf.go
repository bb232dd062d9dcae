package main

import (
	"fmt"
	"hash/fnv"
	"math/rand"
	"strconv"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/vpx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// perfManager wraps the simulator's PerformanceManager so that QueryPerf is repeatable: the
// simulator adds random noise to its samples, here seeded per query spec (entity, counters,
// window), so the same question gets the same answer however queries are batched or ordered.
// With csv set it also answers format "csv" with PerfEntityMetricCSV, as vCenter does (the
// simulator itself always sends one XML element per sample).
type perfManager struct {
	*simulator.PerformanceManager
	csv bool
}

// Get lets the property collector read the wrapped manager's properties.
func (m *perfManager) Get() mo.Reference {
	return m.PerformanceManager
}

func specSeed(spec types.PerfQuerySpec) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d", spec.Entity.Value, spec.IntervalId)
	if spec.StartTime != nil {
		fmt.Fprintf(h, "|%d", spec.StartTime.UnixNano())
	}
	if spec.EndTime != nil {
		fmt.Fprintf(h, "|%d", spec.EndTime.UnixNano())
	}
	for _, id := range spec.MetricId {
		fmt.Fprintf(h, "|%d/%s", id.CounterId, id.Instance)
	}
	return int64(h.Sum64())
}

// PerfMetricIntSeries replaces govmomi's type of the same name in answers: govmomi's XML encoder
// applies the omitempty of its Value to each element, so a sample of 0 (the simulator clamps
// negative noise to 0) vanished and the series came one sample short. vCenter sends every
// sample. The encoder writes the Go type name as xsi:type, so the wire shape is unchanged.
type PerfMetricIntSeries struct {
	types.PerfMetricSeries
	Value []int64 `xml:"value"`
}

// withZeros makes each int series of a per-sample answer write all its samples, 0 included.
func withZeros(metric types.BasePerfEntityMetricBase) types.BasePerfEntityMetricBase {
	m, ok := metric.(*types.PerfEntityMetric)
	if !ok {
		return metric
	}
	for i, base := range m.Value {
		if series, ok := base.(*types.PerfMetricIntSeries); ok {
			m.Value[i] = &PerfMetricIntSeries{PerfMetricSeries: series.PerfMetricSeries, Value: series.Value}
		}
	}
	return m
}

func toCSV(metric types.BasePerfEntityMetricBase) types.BasePerfEntityMetricBase {
	m, ok := metric.(*types.PerfEntityMetric)
	if !ok {
		return metric
	}
	// Each text appended to one buffer (the same text fmt.Sprint and strings.Join gave): this runs
	// under the simulator's lock on the PerformanceManager, and a string per sample (21.6 million
	// for 10,000 VMs) made it ~40 % of the simulator's CPU for the history (fmt.Sprint alone 20 %).
	info := make([]byte, 0, 26*len(m.SampleInfo))
	for i, s := range m.SampleInfo {
		if i > 0 {
			info = append(info, ',')
		}
		info = strconv.AppendInt(info, int64(s.Interval), 10)
		info = append(info, ',')
		info = s.Timestamp.UTC().AppendFormat(info, "2006-01-02T15:04:05Z")
	}
	out := &types.PerfEntityMetricCSV{
		PerfEntityMetricBase: m.PerfEntityMetricBase,
		SampleInfoCSV:        string(info),
	}
	var values []byte
	for _, base := range m.Value {
		series, ok := base.(*types.PerfMetricIntSeries)
		if !ok {
			continue
		}
		values = values[:0]
		for i, v := range series.Value {
			if i > 0 {
				values = append(values, ',')
			}
			values = strconv.AppendInt(values, v, 10)
		}
		out.Value = append(out.Value, types.PerfMetricSeriesCSV{
			PerfMetricSeries: series.PerfMetricSeries,
			Value:            string(values),
		})
	}
	return out
}

// QueryPerf answers each spec on its own, with the random source seeded for that spec. Calls
// on one managed object are serialized by the simulator, so the seeding is not interleaved.
func (m *perfManager) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	body := new(methods.QueryPerfBody)
	body.Req = req
	body.Res = new(types.QueryPerfResponse)
	for _, spec := range req.QuerySpec {
		rand.Seed(specSeed(spec))
		one := *req
		one.QuerySpec = []types.PerfQuerySpec{spec}
		res := m.PerformanceManager.QueryPerf(ctx, &one)
		if res.Fault() != nil {
			return res
		}
		for _, metric := range res.(*methods.QueryPerfBody).Res.Returnval {
			if m.csv && spec.Format == "csv" {
				metric = toCSV(metric)
			} else {
				metric = withZeros(metric)
			}
			body.Res.Returnval = append(body.Res.Returnval, metric)
		}
	}
	return body
}

// wrapPerfManager replaces the model's PerformanceManager with the repeatable one.
func wrapPerfManager(csv bool) error {
	ref := *vpx.ServiceContent.PerfManager
	inner, ok := simulator.Map.Get(ref).(*simulator.PerformanceManager)
	if !ok {
		return fmt.Errorf("no PerformanceManager at %s", ref)
	}
	simulator.Map.Put(&perfManager{PerformanceManager: inner, csv: csv})
	return nil
}
