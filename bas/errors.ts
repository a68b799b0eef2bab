// Bad input to the library (a missing folder, a mask of the wrong size, a configuration value out of
// range): one line naming the value or file at fault. A message that names configuration fields is
// built by a function of how to write a field, so each front end words them its own way: the
// library's own message uses the field's name (`num_of_assets`), the CLI its flag (`--num_of_assets`).

/** How a front end writes a configuration field's name in a message. */
export type FieldNamer = (field: string) => string;

const bare: FieldNamer = (field) => field;

export class InputError extends Error {
  private readonly compose: (name: FieldNamer) => string;

  constructor(message: string | ((name: FieldNamer) => string)) {
    const compose = typeof message === 'string' ? () => message : message;
    super(compose(bare));
    this.compose = compose;
    this.name = 'InputError';
  }

  /** The message with every field it names written by `name` (for the CLI: `--${field}`). */
  render(name: FieldNamer): string {
    return this.compose(name);
  }
}
