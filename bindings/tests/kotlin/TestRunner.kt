// How the Kotlin binding tests are registered and run under JUnit 4 (Maven Surefire, from
// scripts/test-bindings.sh): each test is a name and a body registered on a TestRunner, and
// RegisteredTests presents them to JUnit as the test methods of the suite class, so reports
// and closing lines are Surefire's own.
package org.offlinecash.tests

import org.junit.runner.Description
import org.junit.runner.Runner
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunNotifier

class TestRunner {
    internal val tests = mutableListOf<Pair<String, () -> Unit>>()

    fun test(name: String, body: () -> Unit) {
        tests.add(name to body)
    }
}

/** A class run by [RegisteredTests]: it registers its tests on the runner it is given. */
interface RegisteredSuite {
    fun register(t: TestRunner)
}

/** A JUnit 4 runner for a [RegisteredSuite]: one JUnit test per registered test, in order. */
class RegisteredTests(private val suite: Class<*>) : Runner() {
    private val tests: List<Pair<Description, () -> Unit>> by lazy {
        val instance = suite.getDeclaredConstructor().newInstance() as? RegisteredSuite
            ?: throw IllegalArgumentException("${suite.name} is not a RegisteredSuite")
        val runner = TestRunner().also { instance.register(it) }
        // JUnit reads "name(class)" back from a description: keep parentheses out of names.
        runner.tests.map { (name, body) ->
            Description.createTestDescription(suite, name.replace('(', '[').replace(')', ']')) to body
        }
    }

    override fun getDescription(): Description =
        Description.createSuiteDescription(suite).apply { tests.forEach { addChild(it.first) } }

    override fun run(notifier: RunNotifier) {
        for ((description, body) in tests) {
            notifier.fireTestStarted(description)
            try {
                body()
            } catch (e: Throwable) {
                notifier.fireTestFailure(Failure(description, e))
            } finally {
                notifier.fireTestFinished(description)
            }
        }
    }
}

fun assertTrue(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

fun <T> assertEquals(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected <$expected>, got <$actual>")
}

fun assertBytesEqual(expected: ByteArray, actual: ByteArray, what: String) {
    if (!expected.contentEquals(actual)) throw AssertionError("$what: byte arrays differ")
}

/** Runs [body], which must throw a [T]; returns it. Any other outcome fails the test. */
inline fun <reified T : Throwable> assertThrows(what: String, body: () -> Unit): T {
    try {
        body()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("$what: expected ${T::class.simpleName}, got $e", e)
    }
    throw AssertionError("$what: expected ${T::class.simpleName}, nothing was thrown")
}
