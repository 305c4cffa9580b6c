/**
 * The inputs describe a path that TCP keepalive cannot serve (or are
 * malformed). Pure code throws this; the CLI turns it into a one-line
 * UserError, so the recommender stays free of CLI concerns.
 */
export class RecommendInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecommendInputError';
  }
}
