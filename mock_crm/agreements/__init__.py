"""An agreement's life after the "sim": active until every installment is paid, or broken."""
