// DE 37 (retrieval reference number, 12 characters) told to a terminal. A card sale's RRN comes from the
// issuer and fits as it is. A QR sale's reference is the provider's trade number (WeChat Pay's
// transaction_id and Alipay's trade_no are 28 digits: a fixed prefix and the date first, the trade's own
// sequence last), so the terminal gets its last 12 characters, the part that tells trades apart; the
// first 12 are the same for every trade of a provider and would name no sale.
export const terminalRrnLength = 12;

export function terminalRrnOf(reference: string): string {
  return reference.length > terminalRrnLength ? reference.slice(-terminalRrnLength) : reference.padEnd(terminalRrnLength, ' ');
}
