// `offline-cash-issuer serve` on a loopback port the kernel picks, for the wallet tests.
package org.offlinecash.android.host

import java.io.File
import java.net.HttpURLConnection
import java.net.URL
import java.util.concurrent.TimeUnit

const val ADMIN_TOKEN = "android-host-check-admin"

/** `offline-cash-issuer serve` on a free loopback port, stopped by [close]. */
class IssuerProcess(binary: File, dir: File) : AutoCloseable {
    val url: String
    private val process: Process

    init {
        // Port 0: the kernel picks a free port, which the server holds from then on, and the
        // server writes its URL to issuer.url. A port probed here and passed on could be taken
        // by another process before the server binds it.
        // A fresh file each start: a test class may start a second issuer in the same dir, and
        // the first one's URL would name a port nobody listens on any more.
        val urlFile = File.createTempFile("issuer", ".url", dir).also { it.delete() }
        process = ProcessBuilder(
            binary.path, "serve", "--db", File(dir, "issuer.db").path,
            "--listen", "127.0.0.1:0", "--url-file", urlFile.path, "--admin-token", ADMIN_TOKEN,
        ).redirectErrorStream(true).redirectOutput(File(dir, "issuer.log")).start()
        url = waitForUrl(urlFile)
        waitUntilUp()
    }

    private fun waitForUrl(file: File): String {
        repeat(600) {
            if (file.exists()) return file.readText().trim()
            check(process.isAlive) { "issuer exited (see its log in the temp dir)" }
            Thread.sleep(50)
        }
        throw AssertionError("issuer wrote no URL to $file")
    }

    private fun waitUntilUp() {
        repeat(200) {
            check(process.isAlive) { "issuer exited (see its log in the temp dir)" }
            try {
                (URL("$url/v1/admin/accounts").openConnection() as HttpURLConnection).apply {
                    connectTimeout = 200
                    readTimeout = 1000
                }.responseCode
                return
            } catch (e: java.io.IOException) {
                Thread.sleep(50)
            }
        }
        throw AssertionError("issuer did not start at $url")
    }

    fun stop() {
        process.destroy()
        process.waitFor(5, TimeUnit.SECONDS)
    }

    override fun close() = stop()
}

