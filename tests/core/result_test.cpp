// Result<T>/Status behaviour and the propagation macros.
#include "lwb/core/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <unistd.h>

using lwb::ErrorCode;
using lwb::Result;
using lwb::Status;

namespace {
Result<int> parsePositive(int v)
{
    if (v <= 0)
        return lwb::fail(ErrorCode::InvalidArgument, "must be positive", LWB_WHERE);
    return v;
}

Result<int> doubled(int v)
{
    LWB_ASSIGN_OR_RETURN(int x, parsePositive(v));
    return 2 * x;
}

Status check(int v)
{
    LWB_RETURN_IF_ERROR(parsePositive(v));
    return {};
}
} // namespace

TEST(Result, HoldsValueOrError)
{
    Result<int> ok = 7;
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, 7);
    EXPECT_EQ(ok.value_or(3), 7);

    Result<int> bad = parsePositive(-1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(bad.error().message, "must be positive");
    EXPECT_NE(bad.error().where.find("result_test.cpp:"), std::string::npos);
    EXPECT_EQ(bad.value_or(3), 3);
}

TEST(Result, MacrosPropagateErrorsAndValues)
{
    EXPECT_EQ(*doubled(4), 8);
    auto failed = doubled(0);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(check(1));
    EXPECT_FALSE(check(-5));
    EXPECT_EQ(check(-5).error().message, "must be positive");
}

TEST(Result, MoveOnlyValues)
{
    Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
    ASSERT_TRUE(r);
    std::unique_ptr<int> p = std::move(r).value();
    EXPECT_EQ(*p, 5);
}

TEST(Result, DescribeNamesCodeAndPlace)
{
    lwb::Error e {ErrorCode::OutOfMemory, "needs 3 GiB, budget 1 GiB", "alloc.cpp:12"};
    EXPECT_EQ(e.describe(), "needs 3 GiB, budget 1 GiB (out_of_memory at alloc.cpp:12)");
    EXPECT_EQ(lwb::errorCodeName(ErrorCode::VersionTooNew), "version_too_new");
}

TEST(Result, SysCheckReportsErrno)
{
    auto openMissing = []() -> Status {
        LWB_CHECK_SYS(::access("/definitely/not/here", 0));
        return {};
    };
    Status s = openMissing();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::Io);
    EXPECT_NE(s.error().message.find("No such file"), std::string::npos) << s.error().message;
}
