// The size bound of a bank's payout answer file: the HTTP route's body limit, the CLI's file check and
// the parser (src/adapters/payouts/bank-answer-file.ts) all refuse a larger file with the same figure.
export const answerFileBytesMax = 4 * 1024 * 1024;
