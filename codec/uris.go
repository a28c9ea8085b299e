package codec

// URI is a WAMP URI constant used by the router: error and close reasons.
// All of them live here, so none is a string literal elsewhere.
type URI = string

// Close reasons (ABORT, GOODBYE).
const (
	CloseNormal         URI = "wamp.close.normal"
	CloseSystemShutdown URI = "wamp.close.system_shutdown"
	CloseCloseRealm     URI = "wamp.close.close_realm"
	CloseGoodbyeAndOut  URI = "wamp.close.goodbye_and_out"
	CloseKilled         URI = "wamp.close.killed"
)

// Error URIs of the Basic and Advanced Profile.
const (
	ErrInvalidURI               URI = "wamp.error.invalid_uri"
	ErrNoSuchProcedure          URI = "wamp.error.no_such_procedure"
	ErrProcedureAlreadyExists   URI = "wamp.error.procedure_already_exists"
	ErrNoSuchRegistration       URI = "wamp.error.no_such_registration"
	ErrNoSuchSubscription       URI = "wamp.error.no_such_subscription"
	ErrInvalidArgument          URI = "wamp.error.invalid_argument"
	ErrProtocolViolation        URI = "wamp.error.protocol_violation"
	ErrNotAuthorized            URI = "wamp.error.not_authorized"
	ErrAuthorizationFailed      URI = "wamp.error.authorization_failed"
	ErrAuthenticationFailed     URI = "wamp.error.authentication_failed"
	ErrNoAuthMethod             URI = "wamp.error.no_auth_method"
	ErrNoSuchRealm              URI = "wamp.error.no_such_realm"
	ErrNoSuchRole               URI = "wamp.error.no_such_role"
	ErrNoSuchSession            URI = "wamp.error.no_such_session"
	ErrCanceled                 URI = "wamp.error.canceled"
	ErrTimeout                  URI = "wamp.error.timeout"
	ErrOptionNotAllowed         URI = "wamp.error.option_not_allowed"
	ErrNoEligibleCallee         URI = "wamp.error.no_eligible_callee"
	ErrOptionDisallowedDisclose URI = "wamp.error.option_disallowed.disclose_me"
	ErrNetworkFailure           URI = "wamp.error.network_failure"
	ErrPayloadSizeExceeded      URI = "wamp.error.payload_size_exceeded"
	ErrSystemShutdown           URI = "wamp.error.system_shutdown"
	ErrFeatureNotSupported      URI = "wamp.error.feature_not_supported"
)

// ErrLimitExceeded is wampd's own error for a request past a configured
// bound (pending calls, subscriptions or registrations per session, pending
// calls per realm): the spec has no URI for it, and wamp.* is the spec's.
const ErrLimitExceeded URI = "wampd.error.limit_exceeded"
