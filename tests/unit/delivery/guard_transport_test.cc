// The network guard inside the transport, against real loopback servers: denied addresses get
// no connection at all (numeric shorthands, redirects and proxies included), and the error is
// the guard's, not curl's. Loopback ranges only: 127.0.0.1 plays "allowed", 127.0.0.2 "denied".
#include <gtest/gtest.h>

#include <future>

#include "delivery/net_guard.h"
#include "delivery/transport.h"
#include "transport_util.h"

namespace herald::delivery {
namespace {

std::shared_ptr<NetGuard> MakeGuard(std::vector<std::string> deny,
                                    std::vector<std::string> allow = {}) {
  auto g = NetGuard::Create(deny, allow);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : nullptr;
}

TransportOptions With(std::shared_ptr<const NetGuard> guard) {
  TransportOptions o;
  o.guard = std::move(guard);
  return o;
}

ServerResponse Ok(const ServerRequest&) { return ServerResponse{}; }

const std::string kDenied = "destination 127.0.0.2 is in a denied network (127.0.0.2/32)";

TEST(GuardedTransport, DeniedAddressGetsNoConnection) {
  TestServer denied(Ok, "127.0.0.2");
  TestServer allowed(Ok, "127.0.0.1");
  Transport t(With(MakeGuard({"127.0.0.2/32"})));
  HttpResponse r = Send(t, Post(denied.url("/x")));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, kDenied);
  EXPECT_EQ(denied.connections(), 0);
  // The guard lets the rest through.
  HttpResponse ok = Send(t, Post(allowed.url("/y")));
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(allowed.requests().size(), 1u);
}

TEST(GuardedTransport, NumericShorthandsAreJudgedByTheAddressTheyReach) {
  TestServer denied(Ok, "127.0.0.2");
  std::string port = std::to_string(denied.port());
  Transport t(With(MakeGuard({"127.0.0.2/32"})));
  for (const std::string host :
       {"2130706434", "0x7f000002", "127.2", "0177.0.0.2", "[::ffff:127.0.0.2]"}) {
    HttpResponse r = Send(t, Post("http://" + host + ":" + port + "/"));
    EXPECT_EQ(r.error, kDenied) << host;
  }
  EXPECT_EQ(denied.connections(), 0);
  // Without the guard the same spelling does reach the server (the test can fail).
  Transport open({});
  HttpResponse r = Send(open, Post("http://2130706434:" + port + "/"));
  EXPECT_EQ(r.status, 200) << r.error;
}

TEST(GuardedTransport, ZeroAddressIsJudgedAsLoopback) {
  TestServer local(Ok, "127.0.0.1");
  std::string url = "http://0:" + std::to_string(local.port()) + "/";
  Transport open({});
  HttpResponse reached = Send(open, Post(url));
  ASSERT_EQ(reached.status, 200) << reached.error;  // 0.0.0.0 does reach 127.0.0.1
  int before = local.connections();
  Transport t(With(MakeGuard({"127.0.0.1/32"})));
  HttpResponse r = Send(t, Post(url));
  EXPECT_EQ(r.error, "destination 0.0.0.0 is in a denied network (127.0.0.1/32)");
  EXPECT_EQ(local.connections(), before);
}

TEST(GuardedTransport, RedirectToADeniedAddressIsRefused) {
  TestServer denied(Ok, "127.0.0.2");
  TestServer redirector(Answer(307, "", {{"Location", denied.url("/inner")}}));
  Transport t(With(MakeGuard({"127.0.0.2/32"})));
  HttpResponse r = Send(t, Post(redirector.url("/outer")));
  EXPECT_EQ(r.error, kDenied);
  EXPECT_EQ(redirector.requests().size(), 1u);
  EXPECT_EQ(denied.connections(), 0);
}

TEST(GuardedTransport, AllowListOnly) {
  TestServer outside(Ok, "127.0.0.2");
  TestServer inside(Ok, "127.0.0.1");
  Transport t(With(MakeGuard({}, {"127.0.0.1/32"})));
  HttpResponse r = Send(t, Post(outside.url()));
  EXPECT_EQ(r.error,
            "destination 127.0.0.2 is not in an allowed network (delivery.allow_networks)");
  EXPECT_EQ(outside.connections(), 0);
  EXPECT_EQ(Send(t, Post(inside.url())).status, 200);
}

TEST(GuardedTransport, OwnListenAddressAndPort) {
  TestServer herald_itself(Ok, "127.0.0.1");
  TestServer receiver(Ok, "127.0.0.1");
  auto guard = MakeGuard({});
  guard->SetSelf("127.0.0.1", herald_itself.port());
  Transport t(With(guard));
  HttpResponse r = Send(t, Post(herald_itself.url()));
  EXPECT_EQ(r.error, "destination 127.0.0.1:" + std::to_string(herald_itself.port()) +
                         " is Herald's own listen address");
  EXPECT_EQ(herald_itself.connections(), 0);
  EXPECT_EQ(Send(t, Post(receiver.url())).status, 200);  // same host, other port
}

TEST(GuardedTransport, ProxiedTargetIsCheckedBeforeTheProxySeesIt) {
  TestServer proxy(Ok, "127.0.0.1");  // answers 200 to whatever it is asked
  TestServer denied(Ok, "127.0.0.2");
  Transport t(With(MakeGuard({"127.0.0.2/32"})));
  HttpRequest req = Post(denied.url("/via"));
  req.proxy = proxy.url("");
  HttpResponse r = Send(t, req);
  EXPECT_EQ(r.error, kDenied);
  EXPECT_EQ(proxy.connections(), 0);
  EXPECT_EQ(denied.connections(), 0);
  // Numeric shorthand behind a proxy: the target is resolved by Herald itself.
  req.url = "http://2130706434:" + std::to_string(denied.port()) + "/";
  EXPECT_EQ(Send(t, req).error, kDenied);
  EXPECT_EQ(proxy.connections(), 0);
  // An allowed target goes through the proxy as before.
  req.url = "http://127.0.0.3:9/ok";
  HttpResponse ok = Send(t, req);
  EXPECT_EQ(ok.status, 200) << ok.error;
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0].target, "http://127.0.0.3:9/ok");
  // A target Herald cannot resolve is not handed to the proxy.
  req.url = "http://no-such-host.invalid/";
  HttpResponse unresolved = Send(t, req);
  EXPECT_EQ(unresolved.error.rfind("Failed to resolve host 'no-such-host.invalid'", 0), 0u)
      << unresolved.error;
  EXPECT_EQ(proxy.requests().size(), 1u);
}

TEST(GuardedTransport, ProxiedRedirectToADeniedTargetIsRefused) {
  TestServer proxy([](const ServerRequest& req) {
    ServerResponse r;
    if (req.target.find("/first") != std::string::npos) {
      r.status = 302;
      r.headers = {{"Location", "http://127.0.0.2:9/second"}};
    }
    return r;
  });
  Transport t(With(MakeGuard({"127.0.0.2/32"})));
  HttpRequest req = Post("http://127.0.0.3:9/first");
  req.proxy = proxy.url("");
  HttpResponse r = Send(t, req);
  EXPECT_EQ(r.error, "destination 127.0.0.2 is in a denied network (127.0.0.2/32)");
  EXPECT_EQ(proxy.requests().size(), 1u);
}

TEST(GuardedTransport, StopWhileCheckingAProxiedTargetAnswersStopped) {
  TestServer proxy(Ok, "127.0.0.1");
  auto t = std::make_unique<Transport>(With(MakeGuard({})));
  std::vector<std::future<HttpResponse>> futures;
  for (int i = 0; i < 20; ++i) {
    auto p = std::make_shared<std::promise<HttpResponse>>();
    futures.push_back(p->get_future());
    HttpRequest req = Post("http://127.0.0.3:9/" + std::to_string(i));
    req.proxy = proxy.url("");
    t->Submit(std::move(req), [p](HttpResponse r) { p->set_value(std::move(r)); });
  }
  t.reset();  // every request is answered exactly once, stopped or done
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(kDeadline), std::future_status::ready);
    HttpResponse r = f.get();
    EXPECT_TRUE(r.status == 200 || r.error == kTransportStopped) << r.error;
  }
}

}  // namespace
}  // namespace herald::delivery
