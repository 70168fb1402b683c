package addon

import (
	"context"
	"time"

	"github.com/quazzar/object-storage/plugin/bucketconfig"
	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/plugin/history"
	"github.com/quazzar/object-storage/shared"
)

// ---- bucket settings ----

// SetBucketQuota sets (or, with 0, removes) a bucket's hard quota.
func (a *Addon) SetBucketQuota(ctx context.Context, req shared.SetBucketQuotaRequest) (shared.Bucket, error) {
	return a.changeSettings(ctx, req.Name, "bucket quota set", []any{"bytes", req.Bytes},
		func(svc *services) (bucketconfig.Settings, error) {
			return svc.config.SetQuota(ctx, req.Name, req.Bytes)
		})
}

// SetBucketVersioning enables or suspends versioning.
func (a *Addon) SetBucketVersioning(ctx context.Context, req shared.SetBucketVersioningRequest) (shared.Bucket, error) {
	if err := bucketconfig.ParseVersioning(req.State); err != nil {
		return shared.Bucket{}, err
	}
	return a.changeSettings(ctx, req.Name, "bucket versioning changed", []any{"state", req.State},
		func(svc *services) (bucketconfig.Settings, error) {
			return svc.config.SetVersioning(ctx, req.Name, req.State)
		})
}

// SetBucketRetention changes an object-locked bucket's default retention.
func (a *Addon) SetBucketRetention(ctx context.Context, req shared.SetBucketRetentionRequest) (shared.Bucket, error) {
	if err := bucketconfig.CheckRetention(req.Mode, req.Days, "mode", "days"); err != nil {
		return shared.Bucket{}, err
	}
	if err := checkComplianceCaller(ctx, req.Mode); err != nil {
		return shared.Bucket{}, err
	}
	return a.changeSettings(ctx, req.Name, "bucket retention changed", []any{"mode", req.Mode, "days", req.Days},
		func(svc *services) (bucketconfig.Settings, error) {
			return svc.config.SetRetention(ctx, req.Name, req.Mode, req.Days)
		})
}

// AddLifecycleRule adds a rule, keeping the bucket's other rules.
func (a *Addon) AddLifecycleRule(ctx context.Context, req shared.AddLifecycleRuleRequest) (shared.AddLifecycleRuleResponse, error) {
	if err := bucketconfig.CheckRule(req); err != nil {
		return shared.AddLifecycleRuleResponse{}, err
	}
	var rule shared.LifecycleRule
	b, err := a.changeSettings(ctx, req.Name, "lifecycle rule added", []any{"prefix", req.Prefix},
		func(svc *services) (bucketconfig.Settings, error) {
			r, s, err := svc.config.AddRule(ctx, req)
			rule = r
			return s, err
		})
	if err != nil {
		return shared.AddLifecycleRuleResponse{}, err
	}
	res := shared.AddLifecycleRuleResponse{Rule: rule, Bucket: b}
	if req.AbortMultipartDays > 0 {
		svc, err := a.conn.services()
		if err == nil {
			res.Uploads, err = svc.config.AbortUploadsWithin(ctx, req.AbortMultipartDays)
		}
		if err != nil {
			if rule.ID == "" {
				return shared.AddLifecycleRuleResponse{}, err
			}
			res.Uploads = "The rule was added, but MinIO's stale-upload expiry (how it aborts incomplete uploads) could not be read or set: " + err.Error()
		}
		a.log.Info("incomplete uploads expiry checked", "days", req.AbortMultipartDays, "result", res.Uploads, "caller", shared.CallerOf(ctx))
	}
	return res, nil
}

// DeleteLifecycleRule removes one rule by id.
func (a *Addon) DeleteLifecycleRule(ctx context.Context, req shared.DeleteLifecycleRuleRequest) (shared.Bucket, error) {
	if req.ID == "" {
		return shared.Bucket{}, shared.FieldError("id", "id is required: the id of the rule to delete")
	}
	return a.changeSettings(ctx, req.Name, "lifecycle rule deleted", []any{"id", req.ID},
		func(svc *services) (bucketconfig.Settings, error) {
			return svc.config.DeleteRule(ctx, req.Name, req.ID)
		})
}

// changeSettings checks the bucket name, runs change on a running MinIO,
// logs it, and answers the bucket as it is now.
func (a *Addon) changeSettings(ctx context.Context, name, what string, kv []any,
	change func(*services) (bucketconfig.Settings, error)) (shared.Bucket, error) {
	if err := buckets.ValidateName(name); err != nil {
		return shared.Bucket{}, err
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.Bucket{}, err
	}
	s, err := change(svc)
	if err != nil {
		return shared.Bucket{}, err
	}
	a.log.Info(what, append([]any{"bucket", name, "caller", shared.CallerOf(ctx)}, kv...)...)
	b := shared.Bucket{Name: name, Usage: svc.usage.Usage(name)}
	b.Visibility, _ = svc.buckets.CachedVisibility(name)
	s.Apply(&b)
	b.Forecast = a.bucketForecast(svc, b, nil, false)
	return b, nil
}

// bucketForecast says when a bucket with a quota reaches it at its recent
// rate: nil without a quota, without usage figures or without history.
// samples are the bucket's history when the caller has them (have).
func (a *Addon) bucketForecast(svc *services, b shared.Bucket, samples []history.Sample, have bool) *shared.Forecast {
	if b.Quota == 0 || !b.Usage.Scanned || svc.history == nil {
		return nil
	}
	if !have {
		var err error
		if samples, err = svc.history.Series(history.BucketSeries(b.Name), time.Now()); err != nil {
			a.log.Debug("usage history not read", "bucket", b.Name, "error", err)
			return nil
		}
	}
	f := history.Predict(samples, history.Sample{At: b.Usage.ScannedAt, Value: b.Usage.Size}, b.Quota, history.ForecastWindow)
	return contractForecast(f, f.Text("bucket "+b.Name, "reaches its quota", "is at its quota"))
}

// ---- capacity ----

// Capacity is MinIO's drives as of the last usage refresh, their level,
// and when the fullest is full at its recent rate.
func (a *Addon) Capacity(ctx context.Context, req shared.CapacityRequest) (shared.Capacity, error) {
	svc, err := a.conn.services()
	if err != nil {
		return shared.Capacity{}, err
	}
	snap, fetched, _ := svc.usage.Snapshot()
	c := shared.Capacity{Drives: []shared.Drive{}, Level: shared.CapacityUnknown}
	if len(snap.Drives) == 0 {
		return c, nil
	}
	c.AsOf = fetched
	fullest, worst := -1, -1.0
	for i, d := range snap.Drives {
		dr := shared.Drive{Path: d.Path, Total: d.Total, Used: d.Used, Free: d.Available, State: d.State,
			Level: shared.CapacityLevelOf(d.Used, d.Total)}
		if req.WithHistory && svc.history != nil {
			samples, err := svc.history.Series(history.DriveSeries(d.Path), time.Now())
			if err != nil {
				a.log.Debug("usage history not read", "drive", d.Path, "error", err)
			}
			dr.History = contractSamples(samples)
		}
		if d.Total > 0 {
			if f := float64(d.Used) / float64(d.Total); f > worst {
				fullest, worst = i, f
			}
		}
		c.Drives = append(c.Drives, dr)
	}
	if fullest < 0 {
		return c, nil
	}
	c.Level = c.Drives[fullest].Level
	if svc.history != nil {
		d := snap.Drives[fullest]
		samples, err := svc.history.Series(history.DriveSeries(d.Path), time.Now())
		if err == nil {
			subject := "the disk"
			if len(snap.Drives) > 1 {
				subject = "drive " + d.Path
			}
			f := history.Predict(samples, history.Sample{At: fetched, Value: d.Used}, d.Total, history.ForecastWindow)
			c.Forecast = contractForecast(f, f.Text(subject, "is full", "is full"))
		}
	}
	return c, nil
}

func contractForecast(f history.Forecast, text string) *shared.Forecast {
	return &shared.Forecast{Text: text, FullInSeconds: int64(f.In / time.Second),
		WindowSeconds: int64(f.Span / time.Second), Reached: f.Outlook == history.AlreadyReached}
}

func contractSamples(in []history.Sample) []shared.Sample {
	if len(in) == 0 {
		return nil
	}
	out := make([]shared.Sample, len(in))
	for i, s := range in {
		out[i] = shared.Sample(s)
	}
	return out
}
