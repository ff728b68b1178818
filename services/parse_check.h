// Requests whose bytes do not parse (SPEC §9, issue 15 defect 9).
//
// gRPC 1.51's callback API parses a request before any code of ours runs;
// when the bytes are not a valid message (a wrong message type, a truncated
// one, a proto3 string that is not UTF-8) its `CallbackUnaryHandler` answers
// UNIMPLEMENTED with an empty message, and nothing sees the call: no log
// line, no metric. A server interceptor does not help (its POST_RECV_MESSAGE
// hook runs after the same failed parse, and cannot change the answer), nor
// does a generic service (it only gets methods no service registered).
//
// `ParseCheckedService` keeps the generated service and replaces the handler
// of each method it is told about with `ParseCheckedHandler`: the same
// generated `CallbackUnaryHandler` parses the request, and when parsing
// failed a second one, with the failure cleared, runs `RefuseUnparseable`
// instead of the method, which answers INVALID_ARGUMENT naming the method
// and the expected message (a BadRequest for field "request"), logs the call
// and counts it on /metrics. The successful path is the generated one plus
// one branch. Uses `grpc::internal` types of gRPC 1.51, whose layout later
// versions may change: tests/e2e/unparseable_request_test.cc sends bytes
// that do not parse to every method, and fails on such a change.
//
// Internal to services/; thread-safe.
#ifndef TASKGATE_SERVICES_PARSE_CHECK_H_
#define TASKGATE_SERVICES_PARSE_CHECK_H_

#include <string_view>
#include <utility>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include "services/api.h"

namespace taskgate::services::internal {

// Answers a request of `method` (e.g. "TaskService/CreateTask") whose bytes
// are not a valid `request_type` message: INVALID_ARGUMENT, counted, and
// logged unless its source sent too many of them (`unparseable_log`).
grpc::ServerUnaryReactor* RefuseUnparseable(
    ApiContext& ctx, grpc::CallbackServerContext* context,
    std::string_view method, std::string_view request_type);

// The same answer as a status (counted and logged as above), for a
// streaming method to finish with.
grpc::Status UnparseableStatus(ApiContext& ctx,
                               grpc::CallbackServerContext* context,
                               std::string_view method,
                               std::string_view request_type);

// The index of `method` ("TaskService/CreateTask") in its service of
// taskgate.v1, as the generated code registers it. Aborts on an unknown
// name: a programming error that every test would show.
int MethodIndex(std::string_view method);

// Replaces a generated callback handler (`Generated`:
// `CallbackUnaryHandler` or `CallbackServerStreamingHandler`): the same
// handler parses the request, and when parsing failed a second one, with
// the failure cleared, runs the refusal instead of the method. A
// client-streaming method needs no such handler: the callback API parses
// each of its messages on a read and reports one that does not parse as the
// end of the stream (`OnReadDone(false)`), which the method's reactor sees
// and answers.
template <class Generated>
class ParseCheckedHandler final : public grpc::internal::MethodHandler {
 public:
  template <class Serve, class Refuse>
  ParseCheckedHandler(Serve serve, Refuse refuse)
      : serve_(std::move(serve)), refuse_(std::move(refuse)) {}

  void RunHandler(const HandlerParameter& param) override {
    if (param.status.ok()) {
      serve_.RunHandler(param);
      return;
    }
    // The same arena state as a parsed request, so `refuse_` finishes the
    // call as the generated handler would; it never reads the request
    // (null for a streaming method, which its handler accepts).
    refuse_.RunHandler(HandlerParameter(
        param.call, param.server_context, param.request, grpc::Status::OK,
        param.internal_data, param.call_requester));
  }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* request,
                    grpc::Status* status, void** handler_data) override {
    return serve_.Deserialize(call, request, status, handler_data);
  }

 private:
  Generated serve_;
  Generated refuse_;
};

// A server-streaming method's reactor that finishes at once with `status`
// and deletes itself when done.
template <class Response>
class FinishedWriteReactor final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FinishedWriteReactor(const grpc::Status& status) {
    this->Finish(status);
  }
  void OnDone() override { delete this; }
};

// A generated `...::CallbackService` whose methods answer unparseable
// requests with INVALID_ARGUMENT; the implementation calls `CheckParsing`
// for each of its methods in its constructor.
template <class Generated>
class ParseCheckedService : public Generated {
 protected:
  template <class Impl, class Request, class Response>
  void CheckParsing(
      ApiContext& ctx, std::string_view method, Impl* self,
      grpc::ServerUnaryReactor* (Impl::*serve)(grpc::CallbackServerContext*,
                                               const Request*, Response*)) {
    this->MarkMethodCallback(
        MethodIndex(method),
        new ParseCheckedHandler<
            grpc::internal::CallbackUnaryHandler<Request, Response>>(
            [self, serve](grpc::CallbackServerContext* context,
                          const Request* request, Response* response) {
              return (self->*serve)(context, request, response);
            },
            [&ctx, method](grpc::CallbackServerContext* context,
                           const Request* /*unparsed*/, Response* /*unsent*/) {
              return RefuseUnparseable(ctx, context, method,
                                       Request::descriptor()->full_name());
            }));
  }

  // The same for a server-streaming method.
  template <class Impl, class Request, class Response>
  void CheckParsing(ApiContext& ctx, std::string_view method, Impl* self,
                    grpc::ServerWriteReactor<Response>* (Impl::*serve)(
                        grpc::CallbackServerContext*, const Request*)) {
    this->MarkMethodCallback(
        MethodIndex(method),
        new ParseCheckedHandler<
            grpc::internal::CallbackServerStreamingHandler<Request, Response>>(
            [self, serve](grpc::CallbackServerContext* context,
                          const Request* request) {
              return (self->*serve)(context, request);
            },
            [&ctx, method](grpc::CallbackServerContext* context,
                           const Request* /*unparsed*/) {
              return new FinishedWriteReactor<Response>(UnparseableStatus(
                  ctx, context, method, Request::descriptor()->full_name()));
            }));
  }
};

}  // namespace taskgate::services::internal

#endif  // TASKGATE_SERVICES_PARSE_CHECK_H_
