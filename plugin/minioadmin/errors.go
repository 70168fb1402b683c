package minioadmin

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/quazzar/object-storage/plugin/minioerr"
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
	code := minioerr.Code(re.Code, status)
	hint := ""
	if code == shared.CodePermission {
		hint = "; check that the add-on's root credentials and region match MinIO's"
	}
	return shared.Errorf(code, "%s: %w%s", op, re, hint)
}

// isCode says whether err is MinIO's answer with the code minioCode.
func isCode(err error, minioCode string) bool {
	var re *ResponseError
	return errors.As(err, &re) && re.Code == minioCode
}
