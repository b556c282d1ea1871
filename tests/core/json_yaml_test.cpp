// JSON/YAML helpers: errors that name the line, YAML scalar typing, atomic writes.
#include "lwb/core/json_yaml.h"
#include "test_dir.h"

#include <gtest/gtest.h>

using namespace lwb;

TEST(JsonYaml, JsonErrorNamesLine)
{
    auto r = parseJson("{\n  \"a\": 1,\n  \"b\": ,\n}", "spec.json");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(r.error().message.find("spec.json:3:"), std::string::npos) << r.error().message;
}

TEST(JsonYaml, YamlErrorNamesLine)
{
    auto r = parseYaml("a: 1\nb: [1, 2\nc: 3\n", "study.yaml");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("study.yaml:"), std::string::npos) << r.error().message;
}

TEST(JsonYaml, YamlScalarsAreTyped)
{
    auto node = parseYaml("n: 42\nx: 1e-3\nflag: true\nname: gpt-train\nquoted: \"12\"\nlist: [1, two]\nnothing: ~\n");
    ASSERT_TRUE(node);
    Json j = yamlToJson(*node);
    EXPECT_TRUE(j["n"].is_number_integer());
    EXPECT_EQ(j["n"].get<int>(), 42);
    EXPECT_DOUBLE_EQ(j["x"].get<double>(), 1e-3);
    EXPECT_EQ(j["flag"].get<bool>(), true);
    EXPECT_EQ(j["name"].get<std::string>(), "gpt-train");
    EXPECT_TRUE(j["quoted"].is_string());
    EXPECT_EQ(j["list"][1].get<std::string>(), "two");
    EXPECT_TRUE(j["nothing"].is_null());
    // And back.
    YAML::Node back = jsonToYaml(j);
    EXPECT_EQ(back["n"].as<int>(), 42);
    EXPECT_EQ(back["list"][1].as<std::string>(), "two");
}

TEST(JsonYaml, AtomicWriteReplacesWholeFile)
{
    test::TempDir dir;
    auto path = dir / "profile.json";
    ASSERT_TRUE(writeFileAtomic(path, "{\"v\": 1}"));
    ASSERT_TRUE(writeFileAtomic(path, "{\"v\": 2}"));
    auto j = readJsonFile(path);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)["v"].get<int>(), 2);
    // No temporary files are left behind.
    int files = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path()))
        ++files;
    EXPECT_EQ(files, 1);
}

TEST(JsonYaml, AtomicWriteIntoMissingDirectoryFailsCleanly)
{
    test::TempDir dir;
    Status s = writeFileAtomic(dir / "no" / "such" / "dir.json", "{}");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::Io);
}

TEST(JsonYaml, MissingAndEmptyFiles)
{
    test::TempDir dir;
    auto missing = readJsonFile(dir / "nope.json");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    ASSERT_TRUE(writeFileAtomic(dir / "empty.json", ""));
    auto empty = readJsonFile(dir / "empty.json");
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("empty"), std::string::npos);
}
