package org.offlinecash.sample

import android.app.Activity
import android.content.Intent
import android.os.Bundle
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.text.InputType

/** Home: an amount field, "Receive" (this phone is the card) and "Pay" (this phone reads). */
class MainActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val amount = EditText(this).apply {
            hint = "amount (minor units)"
            inputType = InputType.TYPE_CLASS_NUMBER
        }
        val receive = Button(this).apply {
            text = "Receive"
            setOnClickListener {
                val value = amount.text.toString().toLongOrNull() ?: return@setOnClickListener
                startActivity(Intent(this@MainActivity, ReceiveActivity::class.java).putExtra(ReceiveActivity.EXTRA_AMOUNT, value))
            }
        }
        val pay = Button(this).apply {
            text = "Pay"
            setOnClickListener { startActivity(Intent(this@MainActivity, PayActivity::class.java)) }
        }
        setContentView(LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            addView(amount)
            addView(receive)
            addView(pay)
        })
    }
}
