package bucketconfig

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/minio/minio-go/v7/pkg/lifecycle"

	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/shared"
)

// Limits of the page's inputs.
const (
	// MaxDays is the longest period the page accepts: 100 years.
	MaxDays = 36500
	// MaxKeepNewest is S3's limit on NewerNoncurrentVersions.
	MaxKeepNewest = 100
	// MaxPrefix is S3's longest key, in bytes.
	MaxPrefix = 1024
	// MaxRules is S3's limit of rules in one lifecycle configuration.
	MaxRules = 1000
	// RulePrefix starts the id of the rules the page makes.
	RulePrefix = "quazzar-"
)

// CheckRule checks a lifecycle rule's input before any call: each number
// 0 (none) or positive and at most its limit, a prefix S3 takes, and at
// least one action.
func CheckRule(req shared.AddLifecycleRuleRequest) error {
	if err := buckets.ValidateName(req.Name); err != nil {
		return err
	}
	switch {
	case len(req.Prefix) > MaxPrefix:
		return shared.FieldError("prefix", "prefix is %d bytes long: S3 keys are at most %d", len(req.Prefix), MaxPrefix)
	case !utf8.ValidString(req.Prefix):
		return shared.FieldError("prefix", "prefix is not valid UTF-8 text")
	case strings.HasPrefix(req.Prefix, "/"):
		return shared.FieldError("prefix", "prefix %q starts with /: object keys do not (objects under logs/ have keys like logs/app.log), so the rule would match nothing", req.Prefix)
	}
	for _, n := range []struct {
		field string
		v     int
		max   int
		what  string
	}{
		{"expire_days", req.ExpireDays, MaxDays, "days"},
		{"noncurrent_days", req.NoncurrentDays, MaxDays, "days"},
		{"keep_newest", req.KeepNewest, MaxKeepNewest, "versions"},
		{"abort_multipart_days", req.AbortMultipartDays, MaxDays, "days"},
	} {
		if n.v < 0 {
			return shared.FieldError(n.field, "%s is %d: give 0 (none) or a positive number of %s", n.field, n.v, n.what)
		}
		if n.v > n.max {
			return shared.FieldError(n.field, "%s is %d: at most %d %s (%s)", n.field, n.v, n.max, n.what, limitWords(n.field))
		}
	}
	if req.ExpireDays == 0 && req.NoncurrentDays == 0 && req.KeepNewest == 0 && req.AbortMultipartDays == 0 {
		return shared.FieldError("expire_days", "the rule does nothing: give days after which objects expire, noncurrent versions expire (or how many to keep), or incomplete uploads are aborted")
	}
	return nil
}

func limitWords(field string) string {
	if field == "keep_newest" {
		return "S3's limit"
	}
	return "100 years"
}

// NewRule is the S3 rule for a checked request, with its id. It has no
// AbortIncompleteMultipartUpload: MinIO drops that action from a rule
// (see Manager.AbortUploadsWithin); Empty tells when nothing is left.
func NewRule(id string, req shared.AddLifecycleRuleRequest) lifecycle.Rule {
	r := lifecycle.Rule{ID: id, Status: "Enabled", RuleFilter: lifecycle.Filter{Prefix: req.Prefix}}
	if req.ExpireDays > 0 {
		r.Expiration.Days = lifecycle.ExpirationDays(req.ExpireDays)
	}
	if req.NoncurrentDays > 0 || req.KeepNewest > 0 {
		r.NoncurrentVersionExpiration.NoncurrentDays = lifecycle.ExpirationDays(req.NoncurrentDays)
		r.NoncurrentVersionExpiration.NewerNoncurrentVersions = req.KeepNewest
	}
	return r
}

// RuleIsEmpty says whether a request leaves nothing for a lifecycle rule
// (only abort_multipart_days, which MinIO applies node-wide).
func RuleIsEmpty(req shared.AddLifecycleRuleRequest) bool {
	return req.ExpireDays == 0 && req.NoncurrentDays == 0 && req.KeepNewest == 0
}

// Describe is a rule as the page shows it: the fields its form knows,
// what else it does in words, and all of it as sentences.
func Describe(r lifecycle.Rule) shared.LifecycleRule {
	out := shared.LifecycleRule{ID: r.ID, Enabled: r.Status == "Enabled", Prefix: rulePrefix(r)}
	out.ExpireDays = int(r.Expiration.Days)
	out.NoncurrentDays = int(r.NoncurrentVersionExpiration.NoncurrentDays)
	out.KeepNewest = r.NoncurrentVersionExpiration.NewerNoncurrentVersions
	out.AbortMultipartDays = int(r.AbortIncompleteMultipartUpload.DaysAfterInitiation)
	out.Other = otherActions(r)

	objects := "All objects"
	versions := "Noncurrent versions"
	uploads := "Incomplete multipart uploads"
	if out.Prefix != "" {
		objects = "Objects under " + out.Prefix
		versions = "Noncurrent versions under " + out.Prefix
		uploads = "Incomplete multipart uploads under " + out.Prefix
	}
	var s []string
	if out.ExpireDays > 0 {
		s = append(s, fmt.Sprintf("%s are deleted %s after upload.", objects, days(out.ExpireDays)))
	}
	switch {
	case out.NoncurrentDays > 0 && out.KeepNewest > 0:
		s = append(s, fmt.Sprintf("%s are deleted %s after they become noncurrent, keeping the newest %d.", versions, days(out.NoncurrentDays), out.KeepNewest))
	case out.NoncurrentDays > 0:
		s = append(s, fmt.Sprintf("%s are deleted %s after they become noncurrent.", versions, days(out.NoncurrentDays)))
	case out.KeepNewest > 0:
		s = append(s, fmt.Sprintf("%s beyond the newest %d are deleted when MinIO's scanner finds them.", versions, out.KeepNewest))
	}
	if out.AbortMultipartDays > 0 {
		s = append(s, fmt.Sprintf("%s are aborted %s after they start.", uploads, days(out.AbortMultipartDays)))
	}
	for _, o := range out.Other {
		s = append(s, strings.ToUpper(o[:1])+o[1:]+".")
	}
	if len(s) == 0 {
		s = append(s, "The rule does nothing the page can describe.")
	}
	if !out.Enabled {
		s = append(s, "The rule is disabled.")
	}
	out.Text = strings.Join(s, " ")
	return out
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// rulePrefix is the prefix a rule applies to, wherever it is written.
func rulePrefix(r lifecycle.Rule) string {
	switch {
	case r.RuleFilter.Prefix != "":
		return r.RuleFilter.Prefix
	case r.RuleFilter.And.Prefix != "":
		return r.RuleFilter.And.Prefix
	}
	return r.Prefix
}

// otherActions says, in words, what a rule does beyond the page's form.
func otherActions(r lifecycle.Rule) []string {
	var out []string
	f := r.RuleFilter
	tags := append([]lifecycle.Tag{}, f.And.Tags...)
	if f.Tag.Key != "" {
		tags = append(tags, f.Tag)
	}
	for _, t := range tags {
		out = append(out, fmt.Sprintf("only objects tagged %s=%s", t.Key, t.Value))
	}
	for _, sz := range []struct {
		v    int64
		what string
	}{{f.ObjectSizeGreaterThan, "larger"}, {f.And.ObjectSizeGreaterThan, "larger"}, {f.ObjectSizeLessThan, "smaller"}, {f.And.ObjectSizeLessThan, "smaller"}} {
		if sz.v > 0 {
			out = append(out, fmt.Sprintf("only objects %s than %s", sz.what, shared.HumanBytes(uint64(sz.v))))
		}
	}
	if !r.Expiration.Date.IsZero() {
		out = append(out, "objects expire on "+r.Expiration.Date.UTC().Format("2006-01-02"))
	}
	if r.Expiration.DeleteMarker {
		out = append(out, "expired delete markers are removed")
	}
	if r.Expiration.DeleteAll {
		out = append(out, "every version of an expired object is deleted")
	}
	if r.DelMarkerExpiration.Days > 0 {
		out = append(out, fmt.Sprintf("delete markers are removed %s after they are made", days(r.DelMarkerExpiration.Days)))
	}
	if r.AllVersionsExpiration.Days > 0 {
		out = append(out, fmt.Sprintf("every version is deleted %s after the object's last change", days(r.AllVersionsExpiration.Days)))
	}
	if r.Transition.StorageClass != "" {
		out = append(out, fmt.Sprintf("objects move to tier %s after %s", r.Transition.StorageClass, days(int(r.Transition.Days))))
	}
	if r.NoncurrentVersionTransition.StorageClass != "" {
		out = append(out, fmt.Sprintf("noncurrent versions move to tier %s after %s", r.NoncurrentVersionTransition.StorageClass, days(int(r.NoncurrentVersionTransition.NoncurrentDays))))
	}
	if r.Compression != nil || r.NoncurrentVersionCompression != nil {
		out = append(out, "objects are compressed")
	}
	return out
}

// ParseVersioning checks a versioning state asked for: enabled or
// suspended. S3 has no way back to "off".
func ParseVersioning(v shared.Versioning) error {
	switch v {
	case shared.VersioningEnabled, shared.VersioningSuspended:
		return nil
	case "":
		return shared.FieldError("state", "state is required: enabled or suspended")
	case shared.VersioningOff, "disabled", "disable":
		return shared.FieldError("state", "S3 has no way to turn versioning off once it was enabled: choose suspended (new writes keep no old versions; the versions already kept stay)")
	}
	return shared.FieldError("state", "state %q is not known: choose enabled or suspended", v)
}

// CheckRetention checks a default retention: a mode and days together
// (or neither), days between 1 and 100 years. modeField and daysField
// name the inputs (create_bucket's retention_mode and retention_days,
// set_retention's mode and days).
func CheckRetention(mode shared.RetentionMode, days int, modeField, daysField string) error {
	switch mode {
	case "":
		if days != 0 {
			return shared.FieldError(modeField, "choose governance or compliance for the %d days of retention", days)
		}
		return nil
	case shared.RetentionGovernance, shared.RetentionCompliance:
	default:
		return shared.FieldError(modeField, "retention mode %q is not known: choose governance or compliance", mode)
	}
	switch {
	case days <= 0:
		return shared.FieldError(daysField, "retention is %d days: give at least 1 day", days)
	case days > MaxDays:
		return shared.FieldError(daysField, "retention is %d days: at most %d (100 years)%s", days, MaxDays, complianceWords(mode))
	}
	return nil
}

func complianceWords(mode shared.RetentionMode) string {
	if mode == shared.RetentionCompliance {
		return "; in compliance mode nobody, not even root, could delete those objects before then"
	}
	return ""
}
