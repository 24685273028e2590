// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The subset of OpenCV's ts perf API that the module's perf cases use, on Google Benchmark, for
// the standalone build (which has no opencv_ts). In an OpenCV tree perf_precomp.hpp includes
// opencv2/ts.hpp instead and the same sources build OpenCV's opencv_perf_escrf.
//
//   PERF_TEST_P(Fixture, name, params)  one benchmark "Fixture_name/(p0,p1,...)" per parameter
//                                       (params: testing::Values / testing::Combine, as in ts)
//   TEST_CYCLE()                        the timed loop (Google Benchmark chooses the iterations)
//   SANITY_CHECK_NOTHING()              no reference data, as in the module's ts cases
//   declare.time(s), declare.in(...)    accepted, no effect (Google Benchmark's own time limits)
//   throw SkipTestException(msg)        reported as the benchmark's error message
//   reportCounter(name, value)          a user counter (ts: a property of the XML report)
//
// Every benchmark measures real (wall-clock) time in milliseconds, like ts.
#ifndef OPENCV_ESCRF_PERF_TS_ADAPTER_HPP
#define OPENCV_ESCRF_PERF_TS_ADAPTER_HPP

#include <benchmark/benchmark.h>
#include <gtest/gtest.h>  // testing::Values / Combine / PrintToString: the ts parameter syntax

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cvtest {

//! Thrown by a case that cannot run here (missing data, no peer library).
struct SkipTestException : std::runtime_error
{
    explicit SkipTestException(const std::string& message) : std::runtime_error(message) {}
};

} // namespace cvtest

namespace perf {

class TestBase
{
public:
    virtual ~TestBase() {}
    virtual void PerfTestBody() = 0;

    //! ts's `declare` chain; timing limits belong to Google Benchmark here.
    struct Declaration
    {
        Declaration& time(double) { return *this; }
        Declaration& iterations(int) { return *this; }
        template <class... Args> Declaration& in(Args&&...) { return *this; }
        template <class... Args> Declaration& out(Args&&...) { return *this; }
    } declare;

    benchmark::State* state_ = nullptr;  //!< the running benchmark (TEST_CYCLE's loop)
};

template <class Param>
class TestBaseWithParam : public TestBase
{
public:
    typedef Param ParamType;
    const Param& GetParam() const { return param_; }
    Param param_{};
};

namespace detail {

inline benchmark::State*& currentState()
{
    static benchmark::State* state = nullptr;
    return state;
}

//! "(2, 256, 128)" -> "(2,256,128)": benchmark names are matched by regular expressions.
inline std::string paramLabel(const std::string& printed)
{
    std::string s = printed;
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s;
}

//! Registers one benchmark per parameter value of a PERF_TEST_P case.
template <class Case, class Params>
int registerCases(const char* name, const Params& params)
{
    const ::testing::internal::ParamGenerator<typename Case::ParamType> generator = params;
    for (const typename Case::ParamType& p : generator)
    {
        const std::string full = std::string(name) + "/" + paramLabel(::testing::PrintToString(p));
        benchmark::RegisterBenchmark(full.c_str(), [p](benchmark::State& state) {
            Case c;
            c.param_ = p;
            c.state_ = &state;
            currentState() = &state;
            try
            {
                c.PerfTestBody();
            }
            catch (const cvtest::SkipTestException& e)
            {
                state.SkipWithError(e.what());
            }
            currentState() = nullptr;
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    }
    return 0;
}

} // namespace detail
} // namespace perf

namespace opencv_test {
using namespace cvtest;
using namespace perf;

//! A named value next to the time: a Google Benchmark counter here, an XML property under ts.
inline void reportCounter(const char* name, double value)
{
    if (benchmark::State* state = perf::detail::currentState())
        state->counters[name] = value;
}
} // namespace opencv_test

#define PERF_TEST_P(fixture, name, params)                                                        \
    class fixture##_##name : public fixture                                                       \
    {                                                                                             \
    public:                                                                                       \
        void PerfTestBody() override;                                                             \
    };                                                                                            \
    static const int fixture##_##name##_registered =                                              \
        ::perf::detail::registerCases<fixture##_##name>(#fixture "_" #name, params);              \
    void fixture##_##name::PerfTestBody()

#define TEST_CYCLE() for (auto _escrf_cycle : *this->state_)
#define SANITY_CHECK_NOTHING() (void)0

#endif
