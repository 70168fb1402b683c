package minioadmin

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestResponseErrorBodies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		status    int
		body      string
		wantCode  shared.Code
		wantMinio string
		wantMsg   string
	}{
		{"admin JSON", 400, `{"Code":"XMinioMalformedIAMPolicy","Message":"invalid Effect Maybe","Resource":"/minio/admin/v3/add-service-account","RequestId":"R1","HostId":"H"}`,
			shared.CodeInvalidArgument, "XMinioMalformedIAMPolicy", "invalid Effect Maybe"},
		{"S3 XML", 403, `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Error><Code>AccessDenied</Code><Message>Access Denied.</Message><RequestId>R2</RequestId></Error>`,
			shared.CodePermission, "AccessDenied", "Access Denied."},
		{"no body", 503, ``, shared.CodeUnavailable, "", "Service Unavailable"},
		{"HTML", 404, `<html>nope</html>`, shared.CodeNotFound, "", "Not Found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := responseError("do thing", tc.status, []byte(tc.body))
			require.Equal(t, tc.wantCode, shared.CodeOf(err))
			require.Contains(t, err.Error(), "do thing: ")
			require.Contains(t, err.Error(), tc.wantMsg)
			var re *ResponseError
			require.True(t, errors.As(err, &re))
			require.Equal(t, tc.wantMinio, re.Code)
			require.Equal(t, tc.status, re.StatusCode)
		})
	}
}

func TestParseConfigKV(t *testing.T) {
	t.Parallel()
	got := ParseConfigKV("# comment\nscanner speed=default alert_excess_versions=100 \n" +
		`notify_webhook:primary endpoint="http://a b" queue_limit=0 enable=on` + "\n")
	require.Equal(t, []ConfigKV{
		{SubSys: "scanner", Values: map[string]string{"speed": "default", "alert_excess_versions": "100"}},
		{SubSys: "notify_webhook", Target: "primary", Values: map[string]string{"endpoint": "http://a b", "queue_limit": "0", "enable": "on"}},
	}, got)
}
