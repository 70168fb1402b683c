package devhost_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/shared"
)

// TestUIJSONAPIEndToEnd drives every action of the add-on through the
// development host's JSON API (plain net/http, no browser), with a real
// MinIO behind it: good input does what it says, every bad input answers
// ok=false with the right status, a clear message and the field at fault,
// and changes nothing.
func TestUIJSONAPIEndToEnd(t *testing.T) {
	t.Parallel()
	h := uiStartHost(t)

	// Good input, each checked through /state.
	res := h.uiPostJSON(t, "create_bucket", map[string]any{"name": "photos", "visibility": "private"})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	require.True(t, res.Result.OK)
	require.Equal(t, "Bucket photos created (private).", res.Result.Message)
	require.True(t, res.Result.Refresh)
	res = h.uiPostJSON(t, "create_bucket", map[string]any{"name": "cdn", "visibility": "public"})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	require.Equal(t, []string{"domain=", "bucket cdn public", "bucket photos private"}, h.uiSummary(t))

	res = h.uiPostJSON(t, "set_visibility", map[string]any{"name": "cdn", "visibility": "private"})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	require.Equal(t, "Bucket cdn is now private.", res.Result.Message)
	res = h.uiPostJSON(t, "set_visibility", map[string]any{"name": "cdn", "visibility": "public"})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	require.Equal(t, []string{"domain=", "bucket cdn public", "bucket photos private"}, h.uiSummary(t))

	h.uiPut(t, "cdn", "logo.png", 10)
	res = h.uiPostJSON(t, "create_bucket", map[string]any{"name": "scratch", "visibility": "private"})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	res = h.uiPostJSON(t, "delete_bucket", map[string]any{"name": "scratch", "force": false})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	require.Equal(t, "Bucket scratch deleted.", res.Result.Message)
	res = h.uiPostJSON(t, "create_bucket", map[string]any{"name": "scratch", "visibility": "private"})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	h.uiPut(t, "scratch", "a.txt", 1)
	h.uiPut(t, "scratch", "b.txt", 1)
	res = h.uiPostJSON(t, "delete_bucket", map[string]any{"name": "scratch", "force": true})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	require.Equal(t, "Bucket scratch emptied (2 objects removed) and deleted.", res.Result.Message)

	res = h.uiPostJSON(t, "create_key", map[string]any{"name": "existing", "description": "inherits root", "policy": "", "expiry": ""})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	existing := res.Result
	require.True(t, keys.IsManaged(existing.AccessKey), existing.AccessKey)
	require.Len(t, existing.SecretKey, 40)
	require.NotNil(t, existing.Modal)
	require.Contains(t, existing.Modal.Warning, "Copy it now — there is no way to retrieve it later")
	expiry := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
	res = h.uiPostJSON(t, "create_key", map[string]any{"name": "ci-pipeline", "description": "CI", "policy": keys.ReadWritePolicy("cdn"), "expiry": expiry})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	ci := res.Result
	st := h.uiState(t)
	require.Len(t, st.Keys, 2)
	for _, k := range st.Keys {
		switch k.AccessKey {
		case existing.AccessKey:
			require.Equal(t, shared.PolicyAllBuckets, k.PolicyKind, "no policy: every bucket, no administration")
			require.False(t, k.Admin)
		case ci.AccessKey:
			require.Equal(t, shared.PolicyCustom, k.PolicyKind)
			require.Equal(t, expiry, k.Expiry.UTC().Format(time.RFC3339))
		default:
			t.Fatalf("unexpected key %s in /state", k.AccessKey)
		}
	}

	t.Run("secrets never appear in state or page", func(t *testing.T) {
		for _, path := range []string{
			"/api/plugins/object-storage/state", "/api/plugins/object-storage/page",
			"/api/plugins/object-storage/fragment", "/storage/objects",
		} {
			status, body := h.uiGet(t, path)
			require.Equal(t, http.StatusOK, status, path)
			require.Contains(t, body, ci.AccessKey, "%s lists the key (so the check below can fail)", path)
			require.NotContains(t, body, ci.SecretKey, path)
			require.NotContains(t, body, existing.SecretKey, path)
		}
	})

	res = h.uiPostJSON(t, "revoke_key", map[string]any{"access_key": ci.AccessKey})
	require.Equal(t, http.StatusOK, res.Status, res.Body)
	require.Equal(t, "Access key "+ci.AccessKey+" revoked.", res.Result.Message)
	require.Empty(t, res.Result.SecretKey)

	t.Run("bad input changes nothing", func(t *testing.T) {
		before := h.uiSummary(t)
		require.Equal(t, []string{"domain=", "bucket cdn public", "bucket photos private",
			"key " + existing.AccessKey + " existing all_buckets on"}, before)
		long := strings.Repeat("x", 64)
		soon := time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339)
		late := time.Now().Add(400 * 24 * time.Hour).UTC().Format(time.RFC3339)
		policy := func(p string) map[string]any { return map[string]any{"name": "k1", "policy": p} }
		cases := []struct {
			name, action, body string
			status             int
			field, want        string
		}{
			{"bucket name empty", "create_bucket", `{"name":"","visibility":"private"}`, 400, "name", "required"},
			{"bucket name too short", "create_bucket", `{"name":"ab","visibility":"private"}`, 400, "name", "too short"},
			{"bucket name too long", "create_bucket", `{"name":"` + long + `","visibility":"private"}`, 400, "name", "too long"},
			{"bucket name uppercase", "create_bucket", `{"name":"Photos2","visibility":"private"}`, 400, "name", "uppercase"},
			{"bucket name underscore", "create_bucket", `{"name":"a_b","visibility":"private"}`, 400, "name", "character"},
			{"bucket name leading hyphen", "create_bucket", `{"name":"-ab","visibility":"private"}`, 400, "name", "start and end"},
			{"bucket name two dots", "create_bucket", `{"name":"a..b","visibility":"private"}`, 400, "name", "two dots"},
			{"bucket name IP address", "create_bucket", `{"name":"10.1.2.3","visibility":"private"}`, 400, "name", "IP address"},
			{"bucket name xn-- prefix", "create_bucket", `{"name":"xn--abc","visibility":"private"}`, 400, "name", "xn--"},
			{"bucket name -s3alias suffix", "create_bucket", `{"name":"abc-s3alias","visibility":"private"}`, 400, "name", "-s3alias"},
			{"bucket name --ol-s3 suffix", "create_bucket", `{"name":"abc--ol-s3","visibility":"private"}`, 400, "name", "--ol-s3"},
			{"bucket name not a string", "create_bucket", `{"name":42,"visibility":"private"}`, 400, "name", "must be a string"},
			{"duplicate bucket", "create_bucket", `{"name":"photos","visibility":"private"}`, 409, "name", "already exists"},
			{"bad visibility", "create_bucket", `{"name":"newone","visibility":"open"}`, 400, "visibility", "private or public"},
			{"missing visibility", "create_bucket", `{"name":"newone"}`, 400, "visibility", "required"},
			{"set_visibility bad visibility", "set_visibility", `{"name":"photos","visibility":"secret"}`, 400, "visibility", "private or public"},
			{"set_visibility unknown bucket", "set_visibility", `{"name":"nope-missing","visibility":"public"}`, 404, "", "bucket nope-missing does not exist"},
			{"delete bad bucket name", "delete_bucket", `{"name":"BAD"}`, 400, "name", "uppercase"},
			{"delete unknown bucket", "delete_bucket", `{"name":"missing-bucket","force":false}`, 404, "", "bucket missing-bucket does not exist"},
			{"delete non-empty bucket", "delete_bucket", `{"name":"cdn","force":false}`, 409, "", "bucket cdn is not empty: empty it first via the console, the S3 API, or `mc rb --force`"},
			{"delete force not a boolean", "delete_bucket", `{"name":"cdn","force":"yes"}`, 400, "force", "true or false"},
			{"key name empty", "create_key", `{"name":""}`, 400, "name", "required"},
			{"key name too long", "create_key", `{"name":"` + strings.Repeat("k", 33) + `"}`, 400, "name", "too long"},
			{"key name with a space", "create_key", `{"name":"my key"}`, 400, "name", "character ' '"},
			{"duplicate key name", "create_key", `{"name":"existing"}`, 409, "name", "already exists"},
			{"policy not JSON", "create_key", uiJSON(t, policy("{not json")), 400, "policy", "not valid JSON"},
			{"policy without Version", "create_key", uiJSON(t, policy(`{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::p/*"]}]}`)), 400, "policy", "Version"},
			{"policy with unknown Effect", "create_key", uiJSON(t, policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Sometimes","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::p/*"]}]}`)), 400, "policy", "Effect"},
			{"policy oversized", "create_key", uiJSON(t, policy(keys.ReadOnlyPolicy(strings.Repeat("p", 4000)))), 400, "policy", "4096"},
			{"expiry too soon", "create_key", `{"name":"k1","expiry":"` + soon + `"}`, 400, "expiry", "15 minutes"},
			{"expiry too late", "create_key", `{"name":"k1","expiry":"` + late + `"}`, 400, "expiry", "365 days"},
			{"expiry not a date", "create_key", `{"name":"k1","expiry":"someday"}`, 400, "expiry", "not a date"},
			{"revoke without access key", "revoke_key", `{"access_key":""}`, 400, "access_key", "required"},
			{"revoke unknown key", "revoke_key", `{"access_key":"quazzar-ZZZZZZZZZZ"}`, 404, "access_key", "there is no key quazzar-ZZZZZZZZZZ"},
			{"revoke a revoked key", "revoke_key", `{"access_key":"` + ci.AccessKey + `"}`, 404, "access_key", "there is no key"},
			{"expose empty domain", "expose", `{"domain":""}`, 400, "domain", "required"},
			{"expose localhost", "expose", `{"domain":"localhost"}`, 400, "domain", "localhost cannot be exposed"},
			{"expose an IP address", "expose", `{"domain":"192.0.2.7"}`, 400, "domain", "is an IP address"},
			{"expose a single label", "expose", `{"domain":"intranet"}`, 400, "domain", "not a full hostname"},
			{"expose two dots", "expose", `{"domain":"s3..example.com"}`, 400, "domain", "empty label"},
			{"expose leading hyphen", "expose", `{"domain":"-s3.example.com"}`, 400, "domain", "hyphen"},
			{"expose bad character", "expose", `{"domain":"s3_x.example.com"}`, 400, "domain", "has the character '_'"},
			{"expose label too long", "expose", `{"domain":"` + strings.Repeat("a", 64) + `.example.com"}`, 400, "domain", "63"},
			{"expose domain too long", "expose", `{"domain":"` + strings.Repeat("abcdefghi.", 26) + `com"}`, 400, "domain", "too long"},
			{"expose without a reverse proxy", "expose", `{"domain":"s3.example.com"}`, 503, "", shared.ReverseProxyNotEnabled},
			{"unexpose without a reverse proxy", "unexpose", `{}`, 503, "", shared.ReverseProxyNotEnabled},
			{"unknown action", "launch_rockets", `{}`, 400, "", `unknown action "launch_rockets"`},
			{"malformed JSON body", "create_bucket", `{"name": "half`, 400, "", "must be a JSON object"},
			{"JSON array body", "create_bucket", `["photos"]`, 400, "", "must be a JSON object"},
			{"unknown field", "create_bucket", `{"name":"newone","visibility":"private","owner":"bob"}`, 400, "", `unknown input field "owner"`},
			{"body over the limit", "create_key", `{"name":"big","description":"` + strings.Repeat("d", 1<<20) + `"}`, 413, "", "larger than the panel's limit"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := h.uiPost(t, c.action, c.body, nil)
				r := a.Result
				require.Equal(t, c.status, a.Status, a.Body)
				require.False(t, r.OK, a.Body)
				require.Contains(t, r.Message, c.want, a.Body)
				require.NotEmpty(t, r.Code, a.Body)
				require.Empty(t, r.SecretKey)
				require.Empty(t, r.AccessKey)
				if c.field != "" {
					require.Equal(t, map[string]string{c.field: r.Message}, r.FieldErrors, "the error is bound to field %s", c.field)
				} else {
					require.Empty(t, r.FieldErrors, a.Body)
				}
				require.Equal(t, before, h.uiSummary(t), "a refused action changed something")
			})
		}
		// Exact wording the product page promises.
		a := h.uiPost(t, "expose", `{"domain":"s3.example.com"}`, nil)
		require.Equal(t, "Reverse Proxy is not enabled on this node", a.Result.Message)
		require.Equal(t, shared.CodeNotEnabled, a.Result.Code)
	})

	t.Run("a cross-site POST is refused and changes nothing", func(t *testing.T) {
		before := h.uiSummary(t)
		for _, headers := range []map[string]string{
			{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "same-site"},
			{"Origin": "http://evil.example"},
		} {
			for action, body := range map[string]string{
				"create_bucket": `{"name":"evil-bucket","visibility":"public"}`,
				"delete_bucket": `{"name":"photos","force":true}`,
				"create_key":    `{"name":"evil"}`,
				"revoke_key":    `{"access_key":"` + existing.AccessKey + `"}`,
			} {
				a := h.uiPost(t, action, body, headers)
				require.Equal(t, http.StatusForbidden, a.Status, "%s with %v: %s", action, headers, a.Body)
				require.False(t, a.Result.OK)
				require.Equal(t, shared.CodePermission, a.Result.Code)
				require.Contains(t, a.Result.Message, "cross-origin request refused")
			}
		}
		require.Equal(t, before, h.uiSummary(t))

		// The same request from the panel's own origin, and from a script
		// that sends neither header, both work.
		a := h.uiPost(t, "create_bucket", `{"name":"same-origin","visibility":"private"}`,
			map[string]string{"Origin": h.URL, "Sec-Fetch-Site": "same-origin"})
		require.Equal(t, http.StatusOK, a.Status, a.Body)
		a = h.uiPost(t, "create_bucket", `{"name":"from-a-script","visibility":"private"}`, nil)
		require.Equal(t, http.StatusOK, a.Status, a.Body)
		require.Equal(t, append(before[:1:1], "bucket cdn public", "bucket from-a-script private", "bucket photos private", "bucket same-origin private",
			"key "+existing.AccessKey+" existing all_buckets on"), h.uiSummary(t))
	})

	t.Run("unknown plugin, unknown action with a dot", func(t *testing.T) {
		status, body := h.uiGet(t, "/api/plugins/nope/state")
		require.Equal(t, http.StatusNotFound, status, body)
		a := h.uiPost(t, "launch.rockets", `{}`, nil)
		require.Equal(t, http.StatusBadRequest, a.Status, a.Body)
		require.Contains(t, a.Result.Message, `unknown action "launch.rockets"`)
	})

	// The state holds what the page shows.
	st = h.uiState(t)
	require.Equal(t, shared.StateRunning, st.Status.State)
	require.Equal(t, "http://"+h.S3Address, st.Endpoint.S3URL)
	require.Equal(t, "us-east-1", st.Endpoint.Region)
}

// uiJSON marshals v for a request body.
func uiJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
