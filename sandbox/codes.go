package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// Centre response codes (docs/openbanking-api.md) and their messages.
const (
	rspOK            = "A0000"
	rspBank          = "A0002" // participant error: read bank_rsp_code
	rspInternal      = "A0003"
	rspFormat        = "A0004"
	rspDetail        = "A0009"
	rspWithdrawn     = "A0014"
	rspNoTxn         = "A0018"
	rspNoTransfer    = "A0310"
	rspFintechOther  = "A0304"
	rspUserMismatch  = "A0313"
	rspHolderInfo    = "A0321"
	rspNoContract    = "A0322"
	rspNotRegistered = "A0323"
	rspNoUser        = "A0337"
	rspNoInquiry     = "A0305"
	rspNoWithdraw    = "A0306"
	rspDupTranID     = "A0326"
	rspAuthParam     = "O0001"
	rspTokenReject   = "O0002"
	rspTokenExpired  = "O0003"
	rspMethod        = "O0010"
	rspScope         = "O0011"
)

// Participant (bank) response codes (docs/openbanking-api.md).
const (
	bankOK           = "000"
	bankNoAccount    = "412"
	bankInsufficient = "453"
	bankNameMismatch = "463"
	// bankCodeTran is the bank_code_tran of an answer: real testbed answers
	// carry 097 (오픈은행) on successes (S12's deposit, S14's return claim);
	// 098 shows up only with the simulator's own failures (818), which the
	// sandbox does not produce.
	bankCodeTran = "097"
)

// O0001 detail codes (docs/openbanking-api.md).
const (
	detailNoHeader    = "992"
	detailMissing     = "3000103"
	detailRedirect    = "3000114"
	detailScope       = "3000115"
	detailRespType    = "3000116"
	detailClient      = "3000201"
	detailCodeExpired = "3002110"
)

// rspMessage is the centre message of a response code ("" for A0000 and unknown codes).
func rspMessage(code string) string {
	switch code {
	case rspBank:
		return "참가기관 에러"
	case rspInternal:
		return "내부 처리 오류"
	case rspFormat:
		return "요청전문 포맷 에러"
	case rspDetail:
		return "세부 처리 실패"
	case rspWithdrawn:
		return "탈퇴한 회원입니다"
	case rspNoTxn:
		return "거래내역이 없습니다"
	case rspNoTransfer:
		return "해당 거래 없음"
	case rspFintechOther:
		return "핀테크이용번호 불일치"
	case rspUserMismatch:
		return "사용자 불일치"
	case rspHolderInfo:
		return "예금주 실명번호 구분과 실명번호가 일치하지 않습니다"
	case rspNoContract:
		return "등록되지 않은 이용기관 약정계좌입니다"
	case rspNotRegistered:
		return "이용기관에 등록된 사용자 계좌가 아닙니다"
	case rspNoUser:
		return "존재하지 않는 사용자입니다"
	case rspNoInquiry:
		return "제3자정보제공동의(조회) 미완료"
	case rspNoWithdraw:
		return "출금동의 미완료"
	case rspDupTranID:
		return "거래고유번호(참가기관) 중복"
	case rspTokenReject:
		return "Access Token 거부"
	case rspTokenExpired:
		return "Access Token 기간 만료"
	case rspMethod:
		return "허용되지 않은 HTTP Method 입니다."
	case rspScope:
		return "허용되지 않은 Scope 입니다."
	}
	return ""
}

// bankMessage is the participant message of a bank response code ("" for 000).
func bankMessage(code string) string {
	switch code {
	case bankNoAccount:
		return "해당 계좌 없음"
	case bankInsufficient:
		return "잔액 부족"
	case bankNameMismatch:
		return "실명번호 상이"
	}
	return ""
}

// rspBody is a bare error answer: the code and its message.
func rspBody(code string) map[string]any {
	return map[string]any{"rsp_code": code, "rsp_message": rspMessage(code)}
}

// authParamMessage is the O0001 message with its detail code, as the testbed
// writes it: 인증 파라미터 오류([992]).
func authParamMessage(detail string) string {
	return fmt.Sprintf("인증 파라미터 오류([%s])", detail)
}

// apiError is a business answer other than A0000.
type apiError struct {
	Code    string
	Message string
	// BankCode, when set, adds the participant block (bank_rsp_code).
	BankCode string
}

func (e *apiError) Error() string { return e.Code + " " + e.Message }

func newAPIError(code, detail string) *apiError {
	msg := rspMessage(code)
	if detail != "" {
		msg = msg + " (" + detail + ")"
	}
	return &apiError{Code: code, Message: msg}
}

func bankError(bankCode, detail string) *apiError {
	e := newAPIError(rspBank, detail)
	e.BankCode = bankCode
	return e
}

// Korea Standard Time: every Open Banking date and time is KST.
var kst = time.FixedZone("KST", 9*60*60)

// The KST forms below are written digit by digit: time.Format parses its
// layout on every call, and an answer wants several of them
// (TestKSTFormsMatchTimeFormat holds them to time.Format's output).

func kstDay(t time.Time) string   { return kstDigits(t, 0, 8, "20060102") }
func kstTime(t time.Time) string  { return kstDigits(t, 8, 14, "150405") }
func kstDtime(t time.Time) string { return kstDigits(t, 0, 14, "20060102150405") }

// kstSecond is the KST date and time of one second, as kstDay and kstTime
// write them.
type kstSecond struct {
	unix     int64
	day, hms string
}

// kstForms returns kstDay(t) and kstTime(t), the strings of the last
// second asked for shared: the requests of one second, and the history
// rows they write, hold one copy instead of two strings each.
func (s *Server) kstForms(t time.Time) (day, hms string) {
	sec := t.Unix()
	if f := s.lastSecond.Load(); f != nil && f.unix == sec {
		return f.day, f.hms
	}
	f := &kstSecond{unix: sec, day: kstDay(t), hms: kstTime(t)}
	s.lastSecond.Store(f)
	return f.day, f.hms
}

// apiTranDtm is yyyyMMddHHmmssSSS, the milliseconds cut, not rounded.
func apiTranDtm(t time.Time) string { return kstDigits(t, 0, 17, "20060102150405000") }

// kstDigits returns digits [from, to) of t in KST as yyyyMMddHHmmssSSS,
// which is layout in time.Format's terms (SSS written 000), used for a
// year beyond four digits.
func kstDigits(t time.Time, from, to int, layout string) string {
	t = t.In(kst)
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		if secs, ok := strings.CutSuffix(layout, "000"); ok {
			return strings.Replace(t.Format(secs+".000"), ".", "", 1)
		}
		return t.Format(layout)
	}
	h, mi, sec := t.Clock()
	var b [17]byte
	pos := 0
	for _, f := range [...]struct{ v, w int }{{y, 4}, {int(mo), 2}, {d, 2}, {h, 2}, {mi, 2}, {sec, 2}, {t.Nanosecond() / 1e6, 3}} {
		for j := f.w - 1; j >= 0; j-- {
			b[pos+j] = byte('0' + f.v%10)
			f.v /= 10
		}
		pos += f.w
	}
	return string(b[from:to])
}

// History directions as the API writes them.
const (
	inoutIn  = "입금"
	inoutOut = "출금"
)
