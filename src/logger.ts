/** Where Rookery reports errors that have no connection to go to (an `onaccept` throw...). */
export type Logger = (message: string, error?: unknown) => void;
