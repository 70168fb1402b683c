package minioadmin

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// ResponseError is an error answer from MinIO: its HTTP status and the code
// and message of its error document. It is the cause (errors.As) of the
// *shared.Error a call returns.
type ResponseError struct {
	StatusCode int
	Code       string // MinIO's code, e.g. "XMinioMalformedIAMPolicy"
	Message    string // MinIO's message
	RequestID  string
}

func (e *ResponseError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Code == "" {
		return fmt.Sprintf("%s (HTTP %d)", msg, e.StatusCode)
	}
	return fmt.Sprintf("%s (MinIO %s, HTTP %d)", msg, e.Code, e.StatusCode)
}

// errorMapping maps one MinIO error code, optionally only at one HTTP
// status, to a contract code.
type errorMapping struct {
	minio  string
	status int // 0: any status
	code   shared.Code
}

// errorTable is the one place where MinIO's error codes become the
// contract's. The first row that matches wins, so a row with a status comes
// before the row for the same code without one. Codes not listed fall back
// to the HTTP status (statusCodes).
var errorTable = []errorMapping{
	// MinIO answers an unknown service account with this credentials code
	// and 404; with 403 the same code means the credentials are refused.
	{"XMinioInvalidIAMCredentials", http.StatusNotFound, shared.CodeNotFound},
	{"XMinioInvalidIAMCredentials", 0, shared.CodePermission},
	{"XMinioAdminNoSuchUser", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchAccessKey", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchServiceAccount", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchPolicy", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchGroup", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchConfigTarget", 0, shared.CodeNotFound},
	{"XMinioConfigNotFoundError", 0, shared.CodeNotFound},
	{"NoSuchBucket", 0, shared.CodeNotFound},

	{"XMinioMalformedIAMPolicy", 0, shared.CodeInvalidArgument},
	{"MalformedPolicy", 0, shared.CodeInvalidArgument},
	{"XMinioMalformedJSON", 0, shared.CodeInvalidArgument},
	{"XMinioAdminConfigBadJSON", 0, shared.CodeInvalidArgument},
	{"XMinioConfigError", 0, shared.CodeInvalidArgument},
	{"XMinioAdminConfigTooLarge", 0, shared.CodeInvalidArgument},
	{"XMinioAdminConfigDuplicateKeys", 0, shared.CodeInvalidArgument},
	{"XMinioAdminInvalidArgument", 0, shared.CodeInvalidArgument},
	{"XMinioAdminInvalidRequest", 0, shared.CodeInvalidArgument},
	{"XMinioInvalidResource", 0, shared.CodeInvalidArgument},
	{"XMinioAdminInvalidAccessKey", 0, shared.CodeInvalidArgument},
	{"XMinioAdminInvalidSecretKey", 0, shared.CodeInvalidArgument},
	{"XMinioAdminNoAccessKey", 0, shared.CodeInvalidArgument},
	{"XMinioAdminNoSecretKey", 0, shared.CodeInvalidArgument},
	{"XMinioIAMServiceAccountSessionPolicyTooLarge", 0, shared.CodeInvalidArgument},
	{"InvalidArgument", 0, shared.CodeInvalidArgument},
	{"InvalidRequest", 0, shared.CodeInvalidArgument},

	// "the service account access key (is) already taken".
	{"XMinioIAMServiceAccountNotAllowed", 0, shared.CodeConflict},
	{"XMinioAdminConfigEnvOverridden", 0, shared.CodeConflict},

	{"AccessDenied", 0, shared.CodePermission},
	{"InvalidAccessKeyId", 0, shared.CodePermission},
	{"SignatureDoesNotMatch", 0, shared.CodePermission},
	{"XMinioIAMActionNotAllowed", 0, shared.CodePermission},
	{"XAmzContentSHA256Mismatch", 0, shared.CodePermission},
	{"RequestTimeTooSkewed", 0, shared.CodePermission},
	{"AuthorizationHeaderMalformed", 0, shared.CodePermission},

	{"XMinioServerNotInitialized", 0, shared.CodeUnavailable},
	{"XMinioIAMNotInitialized", 0, shared.CodeUnavailable},
	{"XMinioAdminConfigNoQuorum", 0, shared.CodeUnavailable},
	{"SlowDown", 0, shared.CodeUnavailable},
	{"XMinioServerBusy", 0, shared.CodeUnavailable},
}

// statusCodes maps an HTTP status to a contract code when MinIO's code is
// not in errorTable (or the reply carried none).
var statusCodes = map[int]shared.Code{
	http.StatusBadRequest:         shared.CodeInvalidArgument,
	http.StatusUnauthorized:       shared.CodePermission,
	http.StatusForbidden:          shared.CodePermission,
	http.StatusNotFound:           shared.CodeNotFound,
	http.StatusConflict:           shared.CodeConflict,
	http.StatusTooManyRequests:    shared.CodeUnavailable,
	http.StatusBadGateway:         shared.CodeUnavailable,
	http.StatusServiceUnavailable: shared.CodeUnavailable,
	http.StatusGatewayTimeout:     shared.CodeUnavailable,
}

// contractCode returns the contract code for a MinIO error.
func contractCode(minioCode string, status int) shared.Code {
	for _, m := range errorTable {
		if m.minio == minioCode && (m.status == 0 || m.status == status) {
			return m.code
		}
	}
	if c, ok := statusCodes[status]; ok {
		return c
	}
	return shared.CodeInternal
}

// responseError turns a MinIO error reply (JSON from the admin API, XML from
// the S3 layer, e.g. a failed signature check) into a *shared.Error whose
// message carries MinIO's message and whose cause is a *ResponseError.
func responseError(op string, status int, body []byte) error {
	re := &ResponseError{StatusCode: status}
	var doc struct {
		Code      string `json:"Code" xml:"Code"`
		Message   string `json:"Message" xml:"Message"`
		RequestID string `json:"RequestId" xml:"RequestId"`
	}
	trimmed := strings.TrimSpace(string(body))
	switch {
	case strings.HasPrefix(trimmed, "{"):
		if json.Unmarshal(body, &doc) == nil {
			re.Code, re.Message, re.RequestID = doc.Code, doc.Message, doc.RequestID
		}
	case strings.HasPrefix(trimmed, "<"):
		if xml.Unmarshal(body, &doc) == nil {
			re.Code, re.Message, re.RequestID = doc.Code, doc.Message, doc.RequestID
		}
	}
	code := contractCode(re.Code, status)
	hint := ""
	if code == shared.CodePermission {
		hint = "; check that the add-on's root credentials and region match MinIO's"
	}
	return shared.Errorf(code, "%s: %w%s", op, re, hint)
}
